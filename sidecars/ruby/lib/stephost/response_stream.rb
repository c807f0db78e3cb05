# frozen_string_literal: true

require_relative "proto"
require_relative "wire"

module Stephost
  # A streamed api response: the body the handler returned is iterated on
  # the handler's own thread and its pieces go to the host as ResponseChunk
  # messages, in order, as they are produced. The host acknowledges each
  # chunk once the client has taken it (ChunkAck); at most WINDOW chunks are
  # in flight, so a slow client slows the iteration instead of filling
  # memory. A Cancel (the client went away) is the runner's Thread#raise of
  # Cancelled, which lands wherever the thread is: in the body's own code
  # (its `ensure` runs) or waiting here for the window.
  class ResponseStream
    WINDOW = 8
    MAX_CHUNK = 1024 * 1024

    def initialize(session, invocation_id)
      @session = session
      @invocation_id = invocation_id
      @seq = 0
      @acked = 0
      @mutex = Mutex.new
      @room = ConditionVariable.new
    end

    # Sends the status and headers at once (a client sees the response
    # start even if the first piece takes a while), then every piece `body`
    # yields. Returns when the body is exhausted; raises what it raises.
    def send_all(status, headers, body)
      chunk("".b, status: status, headers_json: Wire.dump(headers))
      body.each do |piece|
        pieces(piece).each do |data|
          wait_for_room
          chunk(data)
        end
      end
    end

    # ChunkAck (the connection's thread): chunks up to `seq` reached the client.
    def ack(seq)
      @mutex.synchronize do
        @acked = seq if seq > @acked
        @room.broadcast
      end
    end

    private

    def pieces(piece)
      unless piece.is_a?(String)
        raise TypeError, "a streamed response body must yield Strings, got #{piece.class}"
      end

      bytes = piece.b
      (0...bytes.bytesize).step(MAX_CHUNK).map { |at| bytes.byteslice(at, MAX_CHUNK) }
    end

    def wait_for_room
      @mutex.synchronize { @room.wait(@mutex) while @seq - @acked >= WINDOW }
    end

    def chunk(data, **first)
      @seq += 1
      @session.push(V1::SidecarMessage.new(chunk: V1::ResponseChunk.new(
        invocation_id: @invocation_id, seq: @seq, data: data, **first
      )))
    end
  end
end
