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
  # thread that finds nothing to run, so a small burst's results leave in
  # one batch, not one send each. A big burst's leave in two: the first
  # half once it is done (see SPLIT_FROM). Under steady load, when the
  # queue never runs dry, the first thread to take a job FLUSH_AFTER after
  # the oldest deferral flushes. Until then a spare stays awake, so a later
  # job that blocks never holds earlier results back.
  class WorkerPool
    # A bound, rarely reached: the queue runs dry after every burst, as the
    # reader needs the GVL to queue more. Sending earlier costs CPU, as
    # smaller batches cost gRPC and the host more: against no bound, 1 ms
    # made the sidecar's CPU per request ~40% higher and 5 ms ~20% (each
    # beside the baseline in the same interleaved run).
    FLUSH_AFTER = 0.02 # seconds
    # A burst of at least twice this many jobs sends its first half's output
    # as soon as that half is done (once per burst), and the rest when the
    # queue runs dry. With one send at the end, the host and this sidecar
    # took turns: the host turned a whole batch of results into responses
    # while this sidecar waited for the next batch of invocations, and the
    # other way round, so neither used more than part of a core. Sending
    # the first half early lets them overlap: an api step at 50 connections
    # served 28-56% more requests per second for 11-33% more sidecar CPU per
    # request (bench/, medians of three rounds, three runs each way).
    SPLIT_FROM = 8

    # A parked thread's wake-up call.
    Slot = Struct.new(:ready, :woken)

    # mask: Thread.handle_interrupt's setting for the whole thread (the job
    # itself decides where interrupts may land). flush_after: FLUSH_AFTER,
    # unless a test needs flushes that do not depend on the clock.
    def initialize(capacity, name:, mask: {}, flush_after: FLUSH_AFTER, &run)
      @capacity = capacity
      @flush_after = flush_after
      @name = name
      @mask = mask
      @run = run
      @mutex = Mutex.new
      @jobs = []
      @parked = [] # Slots, most recently parked last (its stack is warm)
      @threads = []
      @spares = 0 # woken (or started) threads that have not looked for work yet
      @deferred = {} # object => true: #flush it once a thread is free
      @owed = 0 # deferrals since the last flush
      @split = false # this burst's first half has been flushed
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
        @owed += 1
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
        @split = false if job.nil? # the queue ran dry: the next burst may split again
        owed = nil
        if job.nil? && !passed && !@deferred.empty?
          owed = :pass
        elsif !@deferred.empty? && (job.nil? || first_half_done? || now - @deferred_since >= @flush_after)
          @split = true if job
          owed = @deferred.keys
          @deferred.clear
          @owed = 0
        end
        # Someone must be ready to run if this job blocks: for the jobs
        # behind it, and to flush what was deferred before it.
        wake_spare if job && @spares.zero? && !(@jobs.empty? && @deferred.empty?)
        [job, owed]
      end
    end

    # Caller holds @mutex and has just taken a job. As much output owed as
    # jobs left (that one among them), and enough left to be worth a send
    # of their own.
    def first_half_done?
      left = @jobs.size + 1
      !@split && left >= SPLIT_FROM && @owed >= left
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
