# frozen_string_literal: true

require_relative "proto"
require_relative "errors"
require_relative "wire"
require_relative "runner"

module Stephost
  # One Connect stream's worth of state: the outbound queue the batching
  # writer drains, the host calls waiting for an answer, and the liveness
  # clock. A reconnect makes a new Session; anything still holding the old
  # one (a handler finishing late) finds it closed and its output dropped,
  # which is what the protocol asks: results for a dead stream cannot be
  # delivered, and the host has already failed those invocations.
  class Session
    # Ends the request enumerator, which half-closes the gRPC stream.
    CLOSE = Object.new.freeze
    # Bounds one gRPC message under a burst; the rest goes in the next one.
    MAX_BATCH = 1024
    # Until the Welcome tells us the real interval.
    DEFAULT_HEARTBEAT_MS = 5_000

    attr_reader :kill_reason

    def initialize(in_flight: -> { 0 })
      @out = Queue.new
      @pending = {}
      @mutex = Mutex.new
      @next_call = 0
      @closed = false
      @welcomed = false
      @heartbeat_ms = DEFAULT_HEARTBEAT_MS
      @last_seen = now
      @in_flight = in_flight
    end

    def closed? = @closed
    def welcomed? = @welcomed

    # Queues a SidecarMessage for the writer. Never blocks; false when the
    # stream is gone (the message is dropped).
    def push(message)
      return false if @closed

      @out.push(message)
      true
    end

    # The request side handed to the gRPC stub. grpc-ruby consumes it on
    # its own writer thread; each value we yield is one gRPC message, so we
    # block for the first queued message and then take whatever else is
    # already waiting (one consumer, so `empty?` then `pop` cannot race).
    def outbound
      out = @out
      Enumerator.new do |y|
        loop do
          first = out.pop
          break if CLOSE.equal?(first)

          messages = [first]
          closing = false
          until out.empty? || messages.size >= MAX_BATCH
            m = out.pop
            if CLOSE.equal?(m)
              closing = true
              break
            end
            messages << m
          end
          y << V1::SidecarBatch.new(messages: messages)
          break if closing
        end
      end
    end

    # A handler's call into the host: blocks this (worker) thread until the
    # CallResult arrives, and returns its parsed result_json.
    def call(invocation_id, **op)
      waiter = Queue.new
      id = @mutex.synchronize do
        raise ConnectionLostError, "not connected to the host" if @closed

        @pending[(@next_call += 1).to_s] = waiter
        @next_call.to_s
      end
      @out.push(V1::SidecarMessage.new(call: V1::HostCall.new(call_id: id, invocation_id: invocation_id, **op)))
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

    def attach(operation)
      @operation = operation
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

          if @welcomed
            push(V1::SidecarMessage.new(heartbeat: V1::Heartbeat.new(
              sent_unix_ms: (Time.now.to_f * 1000).to_i, in_flight: @in_flight.call
            )))
          end
        end
      end
    end

    # Declares the stream dead from our side; the reader then sees the
    # call cancelled and the connection reconnects.
    def kill(reason)
      @kill_reason ||= reason
      @operation&.cancel
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
      waiters.each { |w| w.push(ConnectionLostError.new("stream to the host closed: #{reason}")) }
      @watchdog&.wakeup
    rescue ThreadError
      nil
    end

    private

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
