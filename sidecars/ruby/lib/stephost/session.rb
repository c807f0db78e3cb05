# frozen_string_literal: true

require_relative "proto"
require_relative "errors"
require_relative "wire"
require_relative "encoded_batch"
require_relative "runner"

module Stephost
  # One Connect stream's worth of state: the outbound queue (sent in
  # batches by whichever thread queues, see #flush), the host calls
  # waiting for an answer, and the liveness clock. A reconnect makes a new Session; anything still holding the old
  # one (a handler finishing late) finds it closed and its output dropped,
  # which is what the protocol asks: results for a dead stream cannot be
  # delivered, and the host has already failed those invocations.
  class Session
    # Queued last: half-closes the gRPC stream after what came before it.
    CLOSE = Object.new.freeze
    # Bounds one gRPC message under a burst; the rest goes in the next one.
    MAX_BATCH = 1024
    # The largest gRPC message the host accepts (MAX_MESSAGE_BYTES in the wire
    # package's codec). Every batch stays under it, so big results in flight
    # can never make the host refuse one message and tear down the stream.
    MAX_MESSAGE_BYTES = 64 * 1024 * 1024
    # Batches of small messages stop growing here; a bigger one travels alone,
    # so heartbeats and small results are never stuck behind a huge message.
    BATCH_BYTES = 4 * 1024 * 1024
    # Until the Welcome tells us the real interval.
    DEFAULT_HEARTBEAT_MS = 5_000
    # With more invocations than this running, a sender lets the other threads
    # run before it takes a batch (#gather), unless the batch starts with a
    # message of BUSY_WAIT_BELOW bytes or more. The Python writer's rules
    # (stephost_wire.codec), for the same reasons.
    BUSY_IN_FLIGHT = 4
    BUSY_WAIT_BELOW = 64 * 1024
    # At most this many passes, while the queue keeps growing. In the orders
    # flow at 64 connections (bench/projects/orders/ruby) batches grew from
    # ~2 to ~10 messages and orders/s by about a third; more passes than
    # this left the machine idle waiting.
    GATHER_PASSES = 3

    attr_reader :kill_reason

    def initialize(in_flight: -> { 0 }, log: nil)
      @log = log
      @out = Queue.new
      @pending = {}
      @mutex = Mutex.new
      @next_call = 0
      @closed = false
      @welcomed = false
      @heartbeat_ms = DEFAULT_HEARTBEAT_MS
      @last_seen = now
      @in_flight = in_flight
      @sending = Mutex.new
      @carried = nil # the encoded message that did not fit the last batch
      @half_closed = false
    end

    def closed? = @closed
    def welcomed? = @welcomed

    # Queues a SidecarMessage and sends what is queued (#flush). Never
    # waits for another thread's send; false when the stream is gone (the
    # message is dropped).
    def push(message)
      return false unless queue(message)

      flush
      true
    end

    # Queues a message without sending it: the caller promises a #flush
    # soon (the runner's results, sent a burst at a time).
    def queue(message)
      return false if @closed

      @out.push(message)
      true
    end

    # Flat combining: the thread that queued a message sends everything
    # queued, in batches, unless another thread is sending already, which
    # then takes this message too (it looks at the queue again before it
    # lets go, and after letting go whoever finds the queue not empty
    # tries again). No writer thread waits to be woken per batch, and a
    # batch holds whatever piled up during the previous send.
    #
    # Exceptions raised into the thread (a handler's Cancelled, Timeout's)
    # wait until the sending is done: one landing midway would lose the
    # messages taken for a batch, other handlers' results among them.
    # Thread#kill (process exit) is not held back.
    def flush
      return unless @link

      Thread.handle_interrupt(Exception => :never) do
        until @out.empty? && @carried.nil?
          return unless @sending.try_lock

          begin
            gather
            send_queued
          ensure
            @sending.unlock
          end
        end
      end
    end

    # Takes the link this session's messages go out on (Link) and sends
    # what was queued before it existed (the Hello).
    def attach(link)
      @link = link
      flush
    end

    # Waits for a send in progress to finish, then frees the link.
    def detach
      @sending.synchronize do
        @half_closed = true # anything still queued is dropped
        @link&.close
        @link = nil
      end
    end

    # A handler's call into the host: blocks this (worker) thread until the
    # CallResult arrives, and returns its parsed result_json. op: the
    # HostCall's one field (emit:, state:, stream:), best given as a Hash:
    # the whole message is then built in one go, where each message object
    # built on its own costs protobuf an arena (~7 µs each, three per call).
    def call(invocation_id, **op)
      waiter = Queue.new
      id = @mutex.synchronize do
        raise ConnectionLostError, "not connected to the host" if @closed

        (@next_call += 1).to_s.tap { |key| @pending[key] = waiter }
      end
      push(V1::SidecarMessage.new(call: { call_id: id, invocation_id: invocation_id, **op }))
      result = waiter.pop
      raise result if result.is_a?(Exception)

      Wire.parse(result)
    ensure
      @mutex.synchronize { @pending.delete(id) } if id
    end

    # Called by the reader for each CallResult.
    def resolve(call_result)
      waiter = @mutex.synchronize { @pending.delete(call_result.call_id) }
      return unless waiter # the caller was cancelled meanwhile

      err = call_result.error
      waiter.push(err ? Runner.host_error(err) : call_result.result_json)
    end

    def touch
      @last_seen = now
    end

    def welcome(heartbeat_interval_ms)
      @heartbeat_ms = heartbeat_interval_ms.positive? ? heartbeat_interval_ms : DEFAULT_HEARTBEAT_MS
      @welcomed = true
      @watchdog&.wakeup # pick up the new interval now
    rescue ThreadError
      nil # watchdog already finished
    end

    # Starts the thread that sends heartbeats and declares the stream dead
    # after three silent intervals. Heartbeats ride the same stream as the
    # work, so a stuck stream cannot look alive.
    def start_watchdog
      @watchdog = Thread.new do
        Thread.current.name = "stephost-heartbeat"
        until @closed
          sleep(@heartbeat_ms / 1000.0)
          break if @closed

          silent = now - @last_seen
          if silent > 3 * @heartbeat_ms / 1000.0
            kill("no message from the host for #{silent.round(1)}s")
            break
          end

          if @welcomed && queue(V1::SidecarMessage.new(heartbeat: V1::Heartbeat.new(
            sent_unix_ms: (Time.now.to_f * 1000).to_i, in_flight: @in_flight.call
          )))
            flush_aside
          end
        end
      end
    end

    # Declares the stream dead from our side; the reader then sees the
    # call cancelled and the connection reconnects.
    def kill(reason)
      @kill_reason ||= reason
      @link&.cancel
    end

    # The stream is over (or being ended by us). Idempotent. Handlers
    # waiting on a host call get ConnectionLostError; the writer stops.
    def close(reason)
      waiters = @mutex.synchronize do
        return if @closed

        @closed = true
        @pending.values.tap { @pending.clear }
      end
      @out.push(CLOSE)
      flush_aside
      waiters.each { |w| w.push(ConnectionLostError.new("stream to the host closed: #{reason}")) }
      @watchdog&.wakeup
    rescue ThreadError
      nil
    end

    private

    # #flush on a thread of its own, for callers that must never wait for a
    # send: the watchdog (a send stuck behind a host that stopped reading
    # must not stop it from noticing the silence) and #close (shutdown).
    # Both are rare, so the thread costs nothing that matters.
    def flush_aside
      Thread.new { flush }.name = "stephost-flush"
    end

    # Caller holds @sending. Each gRPC message costs the host (and this
    # process) far more than its bytes: when busy, let the threads that are
    # ready run first, so the results and calls they queue meanwhile (their
    # own #flush finds @sending held and leaves them queued) join this batch.
    # One request at a time never waits, and neither does a big message: its
    # bytes cost more than a send, and a pass before each of many big ones
    # would let all their work run first while heartbeats wait behind them.
    def gather
      return unless @in_flight.call > BUSY_IN_FLIGHT

      @carried ||= take # the batch's first message, kept for send_queued
      return if @carried.nil? || CLOSE.equal?(@carried) || @carried.bytesize >= BUSY_WAIT_BELOW

      seen = -1
      GATHER_PASSES.times do
        break if @out.size == seen # nobody queued anything while we passed

        seen = @out.size
        Thread.pass
      end
    end

    # Caller holds @sending. Batches of what is queued now: up to
    # MAX_BATCH messages and BATCH_BYTES (one message alone: up to
    # MAX_MESSAGE_BYTES); the message that would go over opens the next
    # batch. CLOSE half-closes the stream after what came before it.
    def send_queued
      until @half_closed
        @carried ||= take
        break if @carried.nil?

        items = []
        total = 0
        until @carried.nil? || CLOSE.equal?(@carried)
          break if !items.empty? && (items.size >= MAX_BATCH || total + @carried.bytesize > BATCH_BYTES)

          items << @carried
          total += @carried.bytesize
          @carried = take
        end
        write { @link.write(EncodedBatch.new(items).bytes) } unless items.empty?
        next unless CLOSE.equal?(@carried)

        @carried = nil
        @half_closed = true
        write { @link.half_close }
      end
      return unless @half_closed

      # The stream is ending: nothing more goes out.
      @out.clear
      @carried = nil
    end

    # The next queued message, encoded (or CLOSE); nil when nothing is
    # queued. One taker at a time (@sending), so `empty?` then `pop` cannot race.
    def take
      until @out.empty?
        item = measured(@out.pop)
        return item unless item.nil?
      end
      nil
    end

    # A send fails once the call is over (its status arrives on the reading
    # side, which then ends the stream); anything else is ours to report.
    def write
      yield
    rescue GRPC::Core::CallError
      @half_closed = true
    rescue StandardError => e
      @half_closed = true
      kill("sending to the host failed: #{e.class}: #{e.message}")
    end

    # CLOSE, the message encoded as a batch item (EncodedBatch.item), or nil
    # for a message too big to send that was answered here instead.
    def measured(message)
      return CLOSE if CLOSE.equal?(message)

      encoded = message.class.encode(message) # to_proto would allocate an options Hash
      item = EncodedBatch.item(encoded)
      return item if item.bytesize <= MAX_MESSAGE_BYTES

      replacement = refuse(message, encoded.bytesize)
      replacement && EncodedBatch.item(replacement.to_proto)
    end

    # A message too big for the link on its own fails alone, as an error its
    # sender sees, instead of the host refusing the whole stream. Returns what
    # to send in its place, if anything.
    def refuse(message, size)
      too_big = "#{size} bytes encoded, over the sidecar link's limit of #{MAX_MESSAGE_BYTES} bytes per message " \
                "(send less data, or store it and pass a reference such as a state key)"
      error = ->(what) { V1::StepError.new(type: "PayloadTooLarge", message: "#{what} is #{too_big}", retryable: false) }
      case message.kind
      when :result
        result = V1::InvocationResult.new(invocation_id: message.result.invocation_id,
                                          error: error.call("the handler's result"))
        V1::SidecarMessage.new(result: result)
      when :call
        resolve(V1::CallResult.new(call_id: message.call.call_id, error: error.call("the call")))
        nil
      else
        @log&.warn("a message too large for the link was not sent", kind: message.kind, bytes: size)
        nil
      end
    end

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
