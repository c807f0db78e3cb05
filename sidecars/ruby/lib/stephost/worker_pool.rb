# frozen_string_literal: true

module Stephost
  # Up to `capacity` threads running jobs, woken lazily. Under the GVL only
  # one thread runs Ruby at a time, so waking a thread per job (what a plain
  # Queue does) mostly buys wake-ups that find the work already taken, each
  # an OS context switch. Instead one thread runs queued jobs back to back,
  # and exactly one more is kept awake (the "spare") while work remains:
  # the spare gets the GVL as soon as the running job blocks (a host call,
  # I/O, sleep) and takes the next job, waking a new spare if still more
  # are queued. So a blocking handler never delays the others, and up to
  # `capacity` handlers are still in flight together.
  #
  # Threads are started on demand: the GC marks every live thread's stack,
  # so a sidecar that never needs 64 does not carry 64.
  #
  # #defer: output a job left queued (a result) is flushed by the first
  # thread that finds nothing to run, so the results of a burst leave in
  # one batch, not one send each; under steady load, when the queue never
  # runs dry, by the first thread to take a job FLUSH_AFTER after the oldest
  # deferral. Until then a spare stays awake, so a later job that blocks
  # never holds earlier results back.
  class WorkerPool
    # A bound, rarely reached: the queue runs dry after every burst, as the
    # reader needs the GVL to queue more. Sending earlier costs CPU, as
    # smaller batches cost gRPC and the host more: against no bound, 1 ms
    # made the sidecar's CPU per request ~40% higher and 5 ms ~20% (each
    # beside the baseline in the same interleaved run).
    FLUSH_AFTER = 0.02 # seconds

    # A parked thread's wake-up call.
    Slot = Struct.new(:ready, :woken)

    # mask: Thread.handle_interrupt's setting for the whole thread (the job
    # itself decides where interrupts may land).
    def initialize(capacity, name:, mask: {}, &run)
      @capacity = capacity
      @name = name
      @mask = mask
      @run = run
      @mutex = Mutex.new
      @jobs = []
      @parked = [] # Slots, most recently parked last (its stack is warm)
      @threads = []
      @spares = 0 # woken (or started) threads that have not looked for work yet
      @deferred = {} # object => true: #flush it once a thread is free
    end

    def size = @threads.size

    def push(job)
      @mutex.synchronize do
        @jobs << job
        wake_spare if @spares.zero?
      end
    end

    # `flushable.flush` runs once a thread has nothing to do.
    def defer(flushable)
      @mutex.synchronize do
        @deferred_since = now if @deferred.empty?
        @deferred[flushable] = true
      end
    end

    private

    # Caller holds @mutex.
    def wake_spare
      if (slot = @parked.pop)
        slot.woken = true
        slot.ready.signal
      elsif @threads.size < @capacity
        @threads << Thread.new(@threads.size) { |i| work(i) }
      else
        return # every thread is busy: the first to finish takes the job
      end
      @spares += 1
    end

    def work(index)
      Thread.current.name = "#{@name}-#{index}"
      slot = Slot.new(ConditionVariable.new, false)
      Thread.handle_interrupt(@mask) do
        spare = true # started as one
        passed = false
        loop do
          job, owed = take(spare, passed)
          spare = false
          # Output is owed and nothing is queued: first let a thread that
          # waits for the GVL run (the reader with the next HostBatch, most
          # often, under load), and take what it queues before sending, so
          # results leave in fewer, bigger batches.
          if owed == :pass
            Thread.pass
            passed = true
            next
          end

          passed = false
          owed&.each(&:flush)
          next @run.call(job) if job

          park(slot)
          spare = true
        end
      end
    end

    # [the next job or nil, what this thread must flush first or nil, or
    # :pass to yield the GVL first (passed: it did already)].
    def take(spare, passed = true)
      @mutex.synchronize do
        @spares -= 1 if spare
        job = @jobs.shift
        owed = nil
        if job.nil? && !passed && !@deferred.empty?
          owed = :pass
        elsif !@deferred.empty? && (job.nil? || now - @deferred_since >= FLUSH_AFTER)
          owed = @deferred.keys
          @deferred.clear
        end
        # Someone must be ready to run if this job blocks: for the jobs
        # behind it, and to flush what was deferred before it.
        wake_spare if job && @spares.zero? && !(@jobs.empty? && @deferred.empty?)
        [job, owed]
      end
    end

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

    # Sleeps until woken as a spare (wake_spare counts it); returns at once,
    # as a spare, if work arrived meanwhile.
    def park(slot)
      @mutex.synchronize do
        next @spares += 1 unless @jobs.empty? && @deferred.empty?

        slot.woken = false
        @parked << slot
        slot.ready.wait(@mutex) until slot.woken
      end
    end
  end
end
