# frozen_string_literal: true

require "grpc"
require_relative "proto"

module Stephost
  # One Connect call, driven directly (grpc-ruby's ActiveCall) rather than
  # through the stub's bidi helper. That helper sends from a thread of its
  # own, fed by an Enumerator: every batch the sidecar sends would cost a
  # wake-up of that thread and a GVL hand-over to it. Here whichever thread
  # has something to send writes it (Session#flush), and the connection's
  # thread reads.
  #
  # gRPC allows one send in flight per call: Session serialises #write and
  # #half_close. #read runs on the connection's thread only.
  class Link
    ROUTE = "/#{V1::SidecarHost::Service.service_name}/Connect"
    SEND_MESSAGE = GRPC::Core::CallOps::SEND_MESSAGE

    def initialize(channel)
      deadline = GRPC::Core::TimeConsts::INFINITE_FUTURE
      @call = channel.create_call(nil, nil, ROUTE, nil, deadline)
      # Batches are written already encoded (EncodedBatch#bytes), so no
      # marshaller runs on the way out.
      @active = GRPC::ActiveCall.new(@call, nil, V1::HostBatch.method(:decode), deadline, started: false)
    end

    # Sends one encoded SidecarBatch; blocks (without the GVL) until gRPC
    # has taken it. Raises GRPC::Core::CallError once the call is over.
    # Not ActiveCall#remote_send: that takes a mutex and interpolates the
    # whole payload into a debug log line (a copy of every batch, up to
    # 64 MiB) on each send, even with debug logging off; on a host call's
    # way out (an emit) that is pure latency.
    def write(bytes)
      unless @started # the first send starts the call (Session serialises writes)
        @active.send_initial_metadata
        @started = true
      end
      @call.run_batch(SEND_MESSAGE => bytes)
    end

    # Tells the host we send nothing more (it then ends the stream).
    def half_close
      @active.send_initial_metadata
      @call.run_batch(GRPC::Core::CallOps::SEND_CLOSE_FROM_CLIENT => nil)
    end

    # Yields each HostBatch until the host ends the stream; then raises
    # GRPC::BadStatus unless it ended with OK.
    def read
      while (batch = next_batch)
        yield batch
      end
      @active.receive_and_check_status
    end

    def cancel = @call.cancel

    # Frees the call; only once no write can still be running.
    def close = @call.close

    private

    def next_batch
      @active.remote_read
    rescue GRPC::Core::CallError
      nil # the call failed under us: its status says why
    end
  end
end
