# frozen_string_literal: true

require "grpc"
require_relative "proto"
require_relative "hooks"
require_relative "session"
require_relative "link"

module Stephost
  # The connection layer: dials the host and keeps one Connect stream alive:
  # hello, dispatch of what the host sends, reconnect with backoff when the
  # stream dies (one stream's writer, host calls and heartbeats are
  # Session's). Runs on its own thread (#run); the main thread only waits
  # for signals.
  class Connection
    CHANNEL_ARGS = {
      # Payloads (request bodies, state values) can exceed gRPC's 4 MiB default.
      "grpc.max_receive_message_length" => Session::MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length" => Session::MAX_MESSAGE_BYTES
    }.freeze
    BACKOFF_FIRST = 0.1
    BACKOFF_MAX = 5.0

    # The Hello for `options` (Options) and what the loader found.
    def self.hello(options, loader)
      V1::Hello.new(
        protocol_version: PROTOCOL_VERSION,
        language: "ruby",
        sidecar_id: options.sidecar_id,
        capacity: options.capacity,
        secret: options.secret,
        runtime: "ruby #{RUBY_VERSION} (grpc #{GRPC::VERSION})",
        steps: loader.steps.map(&:manifest),
        streams: loader.streams.map(&:manifest),
        hooks: Hooks.hello_names(loader.hooks),
        load_errors: loader.failures.map(&:to_proto),
        # STEPHOST_VERSION; empty means "fs", the steps of the project directory.
        version: options.version
      )
    end

    # on_rejected: called with "code: message" when the host refuses the
    # hello; retrying cannot help, so the sidecar must exit 2.
    def initialize(address:, hello:, runner:, log:, on_rejected:)
      @address = address
      @hello = hello
      @runner = runner
      @log = log
      @on_rejected = on_rejected
      @stopping = false
      @draining = false
      @mutex = Mutex.new
      @wake = ConditionVariable.new
    end

    def run
      attempt = 0
      @log.info("connecting", host: @address, sidecar_id: @hello.sidecar_id)
      until @stopping
        attempt += 1
        session = Session.new(in_flight: -> { @runner.in_flight }, log: @log)
        @session = session
        reason = stream(session)
        break if @stopping

        attempt = 1 if session.welcomed? # a healthy stream died: start the backoff over
        delay = backoff(attempt)
        @log.warn("stream to host lost, reconnecting", host: @address, reason: reason, attempt: attempt,
                                                        in_s: delay.round(2))
        pause(delay)
      end
    end

    # Queue a message on the current stream (lost with it when there is none).
    def push(message)
      @session&.push(message)
    end

    # Shutdown, first half: invocations that arrive from now on are not
    # started (the host fails them when the stream closes, and the queue
    # redelivers events to another replica).
    def drain!
      @draining = true
    end

    # Shutdown, second half: half-close the stream so the host sees a clean
    # end, give it `grace` seconds to finish, then cut it.
    def close(thread, grace: 2.0)
      @stopping = true
      @mutex.synchronize { @wake.broadcast }
      @session&.close("sidecar stopping")
      @session&.kill("sidecar stopping") unless thread.join(grace)
      thread.join(grace)
    end

    private

    def stream(session)
      channel = GRPC::Core::Channel.new(@address, CHANNEL_ARGS, :this_channel_is_insecure)
      session.push(V1::SidecarMessage.new(hello: @hello))
      link = Link.new(channel)
      session.attach(link)
      session.start_watchdog
      link.read do |batch|
        session.touch
        batch.messages.each { |message| dispatch(session, message) }
      end
      session.kill_reason || "the host ended the stream"
    rescue GRPC::BadStatus => e
      session.kill_reason || "#{status_name(e.code)}: #{e.details}"
    rescue StandardError => e
      session.kill_reason || "#{e.class}: #{e.message}"
    ensure
      link&.cancel # a no-op once the host ended the call; else no send stays stuck on it
      session.close("stream ended")
      session.detach
      @runner.abandon(session)
      channel&.close
    end

    def dispatch(session, message)
      case message.kind
      when :invocation
        @runner.submit(session, message.invocation) unless @draining
      when :call_result then session.resolve(message.call_result)
      when :cancel then @runner.cancel(session, message.cancel.invocation_id, message.cancel.reason)
      when :chunk_ack then @runner.ack(session, message.chunk_ack.invocation_id, message.chunk_ack.seq)
      when :agent then @runner.command(session, message.agent) if @runner.respond_to?(:command)
      when :welcome then welcomed(session, message.welcome)
      when :rejection then rejected(session, message.rejection)
      end
      # Heartbeats need no handling: any message proves the host is alive
      # (Session#touch above).
    end

    def welcomed(session, welcome)
      session.welcome(welcome.heartbeat_interval_ms)
      welcome.rejected_steps.each do |r|
        @log.warn("host rejected step", step: r.step, file: r.file, reason: r.reason)
      end
      @log.info("connected", host: @address, host_id: welcome.host_id,
                             steps: @hello.steps.size - welcome.rejected_steps.size,
                             heartbeat_ms: welcome.heartbeat_interval_ms)
    end

    def rejected(session, rejection)
      @stopping = true
      session.close("hello rejected")
      @on_rejected.call("#{rejection.code}: #{rejection.message}")
    end

    # 100 ms doubling to 5 s; each delay is drawn from the upper half of
    # its step ("equal jitter") so replicas that lost the same host do not
    # all come back in the same instant, yet never wait past the cap.
    def backoff(attempt)
      base = [BACKOFF_FIRST * (2**[attempt - 1, 16].min), BACKOFF_MAX].min
      (base / 2) + rand * (base / 2)
    end

    def pause(seconds)
      @mutex.synchronize { @wake.wait(@mutex, seconds) unless @stopping }
    end

    def status_name(code)
      GRPC::Core::StatusCodes.constants.find { |c| GRPC::Core::StatusCodes.const_get(c) == code } || code
    end
  end
end
