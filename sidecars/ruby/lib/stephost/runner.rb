# frozen_string_literal: true

require_relative "errors"
require_relative "wire"
require_relative "context"
require_relative "hooks"
require_relative "http"
require_relative "response_stream"
require_relative "worker_pool"

module Stephost
  # The runner layer: runs invocations (a step's handler with its middleware,
  # see Step#run, or a project hook) on a pool of up to `capacity` threads
  # (WorkerPool), and is the one place where errors cross the wire:
  # whatever a handler raises becomes a StepError here (Runner.step_error),
  # and a StepError the host answers a call with becomes the HostError the
  # handler sees (Runner.host_error).
  #
  # The host never sends more than `capacity` at once, but if it does the
  # extra jobs wait in the queue rather than crash anything. Threads suit
  # step code: handlers block on I/O (HTTP clients, the host calls ctx
  # makes), which releases the GVL, so `capacity` handlers really are in
  # flight together.
  #
  # Cancel (from the host, or because the stream died) is delivered with
  # Thread#raise of Stephost::Cancelled, the mechanism Timeout uses. The
  # raise is only allowed while the thread is inside the handler
  # (Thread.handle_interrupt), so it can never land in the bookkeeping
  # around it or in the next invocation the thread picks up.
  #
  # Hook invocations (Invocation.hook set: stream auth and access checks)
  # share the pool, the capacity, cancel and the error handling with steps.
  class Runner
    # Frames from the sidecar itself (lib/, bin/) are noise in a step
    # author's stack trace.
    SIDECAR_DIRS = %w[lib bin].map { |d| "#{File.expand_path("../../#{d}", __dir__)}/" }.freeze

    # The error's class name without its namespace, like Python's
    # `type(e).__name__` and JS's `e.name`, so the same failure reads the
    # same in every language. Classes a step file defines live in that
    # file's anonymous module, so their full name would be "#<Module:...>::X".
    def self.error_type(exception)
      klass = exception.class
      klass = klass.superclass while klass.name.nil?
      klass.name.split("::").last
    end

    # Anything raised -> the wire's StepError.
    def self.step_error(exception)
      V1::StepError.new(
        type: error_type(exception),
        message: exception.message.to_s,
        stack: stack(exception),
        retryable: !exception.is_a?(NonRetryableError),
        retry_after_seconds: exception.is_a?(RetryableError) ? exception.retry_after.to_f : 0.0
      )
    end

    # A StepError the host answered a HostCall with -> what the call raises.
    def self.host_error(step_error)
      HostError.new(step_error.message, type: step_error.type, retryable: step_error.retryable)
    end

    # Ruby's own uncaught-exception layout ("file:line:in `m': message
    # (Class)" then "\tfrom ..." lines), without the sidecar's frames, and
    # with the cause chain because wrapped errors hide the real reason.
    def self.stack(exception, depth = 0)
      frames = (exception.backtrace || []).reject { |f| f.start_with?(*SIDECAR_DIRS) }
      # A SyntaxError's message already names file and line; its backtrace
      # is only where the file was loaded from.
      frames = [] if exception.is_a?(SyntaxError)
      head = frames.first ? "#{frames.first}: " : ""
      text = +"#{head}#{exception.message} (#{exception.class})"
      frames.drop(1).each { |f| text << "\n\tfrom " << f }
      if exception.cause && depth < 3
        text << "\nCaused by: " << stack(exception.cause, depth + 1)
      end
      text
    end

    # key: [session, invocation id], read from the invocation once (every
    # protobuf field read makes a new String). thread: set while it runs.
    # stream: the ResponseStream once an api handler returned a streamed body.
    Job = Struct.new(:session, :invocation, :key, :thread, :stream)

    # Where Cancelled may land (see above); one Hash for every invocation.
    CANCELLABLE = { Cancelled => :immediate }.freeze

    def initialize(steps, capacity:, log:, hooks: [])
      @steps = steps.to_h { |s| [s.name, s] }
      @hooks = hooks.to_h { |h| [h.key, h] }
      @log = log
      @mutex = Mutex.new
      @idle = ConditionVariable.new
      # Keyed by [session, invocation_id]: ids are unique per host, and after
      # a reconnect to another (or a restarted) host an abandoned
      # invocation may still be unwinding under an id the new host reuses.
      @queued = {}  # key => Job, not started yet
      @running = {} # key => Job
      @pool = WorkerPool.new(capacity, name: "stephost-worker", mask: { Cancelled => :never }) { |job| run(job) }
    end

    # Invocations running now (Heartbeat.in_flight).
    def in_flight = @mutex.synchronize { @running.size }

    def submit(session, invocation)
      job = Job.new(session, invocation, [session, invocation.invocation_id])
      @mutex.synchronize { @queued[job.key] = job }
      @pool.push(job)
    end

    # Best effort: a queued job is dropped, a running one gets Cancelled.
    def cancel(session, invocation_id, reason = "cancelled by the host")
      key = [session, invocation_id]
      @mutex.synchronize do
        if @queued.delete(key)
          signal_if_idle
        else
          @running[key]&.thread&.raise(Cancelled, reason)
        end
      end
    end

    # The stream a session belonged to died: its results cannot be
    # delivered any more, so stop its work and free the slots for the
    # next stream.
    def abandon(session)
      @mutex.synchronize do
        @queued.delete_if { |_, job| job.session.equal?(session) }
        @running.each_value do |job|
          job.thread.raise(Cancelled, "stream to the host lost") if job.session.equal?(session)
        end
        signal_if_idle
      end
    end

    # ChunkAck for a streamed response (the connection's thread).
    def ack(session, invocation_id, seq)
      job = @mutex.synchronize { @running[[session, invocation_id]] }
      job&.stream&.ack(seq)
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

    def run(job)
      key = job.key
      @mutex.synchronize do
        return unless @queued.delete(key) # cancelled or abandoned before it started

        job.thread = Thread.current
        @running[key] = job
      end
      started = now if @log.debug?
      result = begin
        Thread.handle_interrupt(CANCELLABLE) { execute(job) }
      rescue Cancelled => e
        # A cancelled stream sends nothing more: the client is gone.
        job.stream ? nil : error_result(key[1], e)
      end
      # Queue the result before leaving the running set: shutdown waits for
      # that set to empty and then closes the stream, which must not
      # overtake this result. It is sent with the others of its burst, by
      # the first worker that finds nothing more to run (WorkerPool#defer).
      @pool.defer(job.session) if result && job.session.queue(V1::SidecarMessage.new(result: result))
      finish(key)
      trace(job.invocation, started, result) if result && started
    end

    def execute(job)
      inv = job.invocation
      id = job.key[1]
      return json_result(id, hook(inv).run(Wire.parse(inv.payload_json))) unless inv.hook.empty?

      step = @steps[inv.step] ||
             raise(NonRetryableError, "no step named #{inv.step.inspect} is loaded in this sidecar")
      ctx = Context.new(job.session, inv, step.flows, id)
      return json_result(id, step.run(Wire.parse(inv.payload_json), ctx)) unless step.type == "api"

      api_result(job, step.respond(Http.request(Wire.parse(inv.payload_json), inv), ctx))
    rescue Cancelled
      raise
    rescue Exception => e # rubocop:disable Lint/RescueException
      # Everything a handler can throw, `exit` and stack overflows
      # included, is that invocation's failure, never the sidecar's; for a
      # streamed response that failed midway the host ends it early.
      error_result(id, e)
    end

    def json_result(id, json) = V1::InvocationResult.new(invocation_id: id, result_json: json)

    # JSON and bytes bodies answer in one result; a stream body is sent in
    # chunks from this thread, then `streamed` ends it.
    def api_result(job, response)
      id = job.key[1]
      body = response["body"]
      return Http.result(id, response) unless Http.stream?(body)

      job.stream = ResponseStream.new(job.session, id)
      job.stream.send_all(response["status"], response["headers"], body)
      V1::InvocationResult.new(invocation_id: id, streamed: true)
    end

    # Like an unknown step, a missing hook is NonRetryableError; the host
    # treats any hook error as a refusal.
    def hook(inv)
      @hooks[Hooks.key_for(inv)] || raise(NonRetryableError, Hooks.missing(inv))
    end

    def error_result(id, exception)
      V1::InvocationResult.new(invocation_id: id, error: Runner.step_error(exception))
    end

    def finish(key)
      @mutex.synchronize do
        @running.delete(key)
        signal_if_idle
      end
      # A cancel that raced the handler's return is still pending on this
      # thread: swallow it here, or it would fire in the next invocation.
      Thread.handle_interrupt(CANCELLABLE) {} if Thread.pending_interrupt?
    rescue Cancelled
      nil
    end

    # Caller holds @mutex.
    def signal_if_idle
      @idle.broadcast if @running.empty? && @queued.empty?
    end

    def trace(inv, started, result)
      outcome = result.error ? "error #{result.error.type}: #{result.error.message}" : (result.streamed ? "streamed" : "ok")
      what = inv.hook.empty? ? { step: inv.step } : { hook: inv.hook, step: inv.step }
      @log.debug("invocation", **what, trace_id: inv.trace_id, attempt: inv.attempt,
                               ms: ((now - started) * 1000).round(1), outcome: outcome)
    end

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
