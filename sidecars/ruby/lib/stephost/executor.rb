# frozen_string_literal: true

require_relative "errors"
require_relative "wire"
require_relative "context"
require_relative "hook"

module Stephost
  # Runs invocations on a fixed pool of `capacity` threads. The host never
  # sends more than that at once, but if it does the extra jobs wait in the
  # queue rather than crash anything. Threads suit step code: handlers
  # block on I/O (HTTP clients, the host calls ctx makes), which releases
  # the GVL, so `capacity` handlers really are in flight together.
  #
  # Cancel (from the host, or because the stream died) is delivered with
  # Thread#raise of Stephost::Cancelled, the mechanism Timeout uses. The
  # raise is only allowed while the thread is inside the handler
  # (Thread.handle_interrupt), so it can never land in the bookkeeping
  # around it or in the next invocation the thread picks up.
  #
  # Hook invocations (Invocation.hook set: stream auth and access checks)
  # share the pool, the capacity, cancel and the error handling with steps.
  class Executor
    Job = Struct.new(:session, :invocation)

    def initialize(steps, capacity:, log:, hooks: [])
      @steps = steps.to_h { |s| [s.name, s] }
      @hooks = hooks.to_h { |h| [h.key, h] }
      @log = log
      @jobs = Queue.new
      @mutex = Mutex.new
      @idle = ConditionVariable.new
      # Keyed by [session, invocation_id]: ids are unique per host, and after
      # a reconnect to another (or a restarted) host an abandoned
      # invocation may still be unwinding under an id the new host reuses.
      @queued = {}  # key => Job, not started yet
      @running = {} # key => [Job, Thread]
      @threads = Array.new(capacity) { |i| Thread.new { work(i) } }
    end

    # Invocations running now (Heartbeat.in_flight).
    def in_flight = @mutex.synchronize { @running.size }

    def submit(session, invocation)
      job = Job.new(session, invocation)
      @mutex.synchronize { @queued[[session, invocation.invocation_id]] = job }
      @jobs.push(job)
    end

    # Best effort: a queued job is dropped, a running one gets Cancelled.
    def cancel(session, invocation_id, reason = "cancelled by the host")
      key = [session, invocation_id]
      @mutex.synchronize do
        if @queued.delete(key)
          signal_if_idle
        else
          _job, thread = @running[key]
          thread&.raise(Cancelled, reason)
        end
      end
    end

    # The stream a session belonged to died: its results cannot be
    # delivered any more, so stop its work and free the slots for the
    # next stream.
    def abandon(session)
      @mutex.synchronize do
        @queued.delete_if { |_, job| job.session.equal?(session) }
        @running.each_value do |job, thread|
          thread.raise(Cancelled, "stream to the host lost") if job.session.equal?(session)
        end
        signal_if_idle
      end
    end

    # Blocks until nothing is queued or running, or `timeout` seconds pass;
    # true when idle.
    def wait_idle(timeout)
      deadline = now + timeout
      @mutex.synchronize do
        until @queued.empty? && @running.empty?
          left = deadline - now
          return false if left <= 0

          @idle.wait(@mutex, left)
        end
      end
      true
    end

    private

    def work(index)
      Thread.current.name = "stephost-worker-#{index}"
      Thread.handle_interrupt(Cancelled => :never) do
        while (job = @jobs.pop)
          run(job)
        end
      end
    end

    def run(job)
      inv = job.invocation
      id = inv.invocation_id
      key = [job.session, id]
      @mutex.synchronize do
        return unless @queued.delete(key) # cancelled or abandoned before it started

        @running[key] = [job, Thread.current]
      end
      started = now
      result = begin
        Thread.handle_interrupt(Cancelled => :immediate) { execute(job.session, inv) }
      rescue Cancelled => e
        error_result(id, e)
      end
      # Queue the result before leaving the running set: shutdown waits for
      # that set to empty and then closes the stream, which must not
      # overtake this result.
      job.session.push(V1::SidecarMessage.new(result: result))
      finish(key)
      trace(inv, started, result) if @log.debug?
    end

    def execute(session, inv)
      V1::InvocationResult.new(invocation_id: inv.invocation_id, result_json: result_json(session, inv))
    rescue Cancelled
      raise
    rescue Exception => e # rubocop:disable Lint/RescueException
      # Everything a handler can throw, `exit` and stack overflows
      # included, is that invocation's failure, never the sidecar's.
      error_result(inv.invocation_id, e)
    end

    def result_json(session, inv)
      return hook(inv).run(Wire.parse(inv.payload_json)) unless inv.hook.empty?

      step = @steps[inv.step] ||
             raise(NonRetryableError, "no step named #{inv.step.inspect} is loaded in this sidecar")
      step.run(Wire.parse(inv.payload_json), Context.new(session, inv))
    end

    # Like an unknown step, a missing hook is NonRetryableError; the host
    # treats any hook error as a refusal.
    def hook(inv)
      @hooks[Hook.key_for(inv)] || raise(NonRetryableError, missing_hook(inv))
    end

    def missing_hook(inv)
      case inv.hook
      when Hook::CAN_ACCESS then "no stream named #{inv.step.inspect} with can_access is loaded in this sidecar"
      when Hook::AUTHENTICATE then "no stream_auth.rb with authenticate is loaded in this sidecar"
      else "unknown hook #{inv.hook.inspect}"
      end
    end

    def error_result(id, exception)
      V1::InvocationResult.new(invocation_id: id, error: Wire.step_error(exception))
    end

    def finish(key)
      @mutex.synchronize do
        @running.delete(key)
        signal_if_idle
      end
      # A cancel that raced the handler's return is still pending on this
      # thread: swallow it here, or it would fire in the next invocation.
      Thread.handle_interrupt(Cancelled => :immediate) {} if Thread.pending_interrupt?
    rescue Cancelled
      nil
    end

    # Caller holds @mutex.
    def signal_if_idle
      @idle.broadcast if @running.empty? && @queued.empty?
    end

    def trace(inv, started, result)
      outcome = result.error ? "error #{result.error.type}: #{result.error.message}" : "ok"
      what = inv.hook.empty? ? { step: inv.step } : { hook: inv.hook, step: inv.step }
      @log.debug("invocation", **what, trace_id: inv.trace_id, attempt: inv.attempt,
                               ms: ((now - started) * 1000).round(1), outcome: outcome)
    end

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
