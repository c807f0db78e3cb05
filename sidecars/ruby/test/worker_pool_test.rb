# frozen_string_literal: true

require_relative "test_helper"

class WorkerPoolTest < Minitest::Test
  include StephostTest::Polling

  # Records each of its flushes: what the block says at the time (by
  # default, the thread that flushed).
  class Flushable
    attr_reader :flushes

    def initialize(&record)
      @flushes = Queue.new
      @record = record || -> { Thread.current }
    end

    def flush = @flushes << @record.call
  end

  # A flush_after no test outlives: flushes follow the jobs, not the clock,
  # however slowly a loaded machine runs them.
  NO_CLOCK = 3600

  # The point of the lazy wake: quick jobs of a burst run back to back on
  # one thread (plus the spare), not one thread each, and leave in few
  # flushes: two, typically (see the next test).
  def test_a_burst_of_quick_jobs_needs_few_threads_and_few_flushes
    out = Flushable.new
    done = Queue.new
    pool = Stephost::WorkerPool.new(64, name: "test", flush_after: NO_CLOCK) do |job|
      done << job
      pool.defer(out)
    end
    50.times { |i| pool.push(i) }
    assert_equal (0...50).to_a, Array.new(50) { done.pop }.sort
    wait_for("a flush") { !out.flushes.empty? }
    # A loaded machine may preempt the running thread mid-burst, and then
    # its spare joins in.
    assert_operator pool.size, :<=, 4
    assert_operator out.flushes.size, :<=, 5
  end

  # A big burst's first half leaves while the second half runs (SPLIT_FROM),
  # so the host works on those results meanwhile; a small burst's output
  # leaves in one flush.
  def test_a_big_burst_sends_its_first_half_early_and_a_small_one_at_the_end
    [[50, 2], [Stephost::WorkerPool::SPLIT_FROM + 2, 1]].each do |jobs, flushes|
      done = Queue.new
      finished = Queue.new # never popped: its size counts the finished jobs
      out = Flushable.new { finished.size } # how many jobs had finished at each flush
      gate = Queue.new
      # One thread: it holds :hold while the burst is queued, so no worker takes any of the
      # burst before all of it is queued.
      pool = Stephost::WorkerPool.new(1, name: "test", flush_after: NO_CLOCK) do |job|
        gate.pop if job == :hold
        next if job == :hold

        finished << job
        done << job
        pool.defer(out)
      end
      pool.push(:hold)
      jobs.times { |i| pool.push(i) }
      gate << :go
      Array.new(jobs) { done.pop }
      wait_for("the last flush") { out.flushes.size >= flushes }
      sleep 0.05 # a further flush, if there were one, would come now
      at = Array.new(out.flushes.size) { out.flushes.pop }
      assert_equal flushes, at.size, "#{jobs} jobs: flushes after #{at} jobs done"
      assert_equal jobs, at.last
      assert_includes (jobs / 2 - 2)..(jobs / 2 + 2), at.first if flushes == 2
    end
  end

  # A job that blocks must neither stop the jobs behind it nor hold back
  # the output deferred before it.
  def test_a_blocked_job_delays_neither_later_jobs_nor_earlier_output
    out = Flushable.new
    gate = Queue.new
    done = Queue.new
    pool = Stephost::WorkerPool.new(4, name: "test") do |job|
      gate.pop if job == :block
      pool.defer(out) if job == :quick
      done << job
    end
    pool.push(:quick)
    pool.push(:block)
    pool.push(:after)
    assert_equal %i[after quick], [done.pop, done.pop].sort
    wait_for("the quick job's output to be flushed") { !out.flushes.empty? }
    gate << :go
    assert_equal :block, done.pop
  end

  # Output is owed and nothing is queued: the worker lets a thread that
  # waits for the GVL (the reader with the next batch) queue its jobs, and
  # sends their output with what it owed, in one flush.
  def test_jobs_queued_by_a_thread_waiting_for_the_gvl_leave_with_the_owed_output
    # The scene needs the first job to hold the GVL through its spin. On a
    # loaded machine Ruby's timer may hand the GVL over mid-spin, and the
    # pusher queues :second early; then the scene did not happen and is set
    # up again.
    flushes = 5.times.lazy.map { in_fork { gvl_waiter_scene } }.find(&:itself)
    flunk("the first job never kept the GVL through its spin in 5 tries") unless flushes
    assert_equal 1, flushes
  end

  # The number of flushes, or nil if :second was queued during :first's
  # spin. One worker thread: with more, a spare woken by the push may take
  # :second while the first thread flushes, a race the pool allows.
  def gvl_waiter_scene
    out = Flushable.new
    done = Queue.new
    pushed = false
    early = nil
    pool = Stephost::WorkerPool.new(1, name: "test", flush_after: NO_CLOCK) do |job|
      if job == :first
        Thread.new do # ready to run, it waits for the GVL
          pool.push(:second)
          pushed = true
        end
        spin_until = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 0.05
        nil until Process.clock_gettime(Process::CLOCK_MONOTONIC) > spin_until # holds the GVL
        early = pushed
      end
      pool.defer(out)
      done << job
    end
    pool.push(:first)
    assert_equal %i[first second], [done.pop, done.pop]
    return nil if early

    wait_for("a flush") { !out.flushes.empty? }
    sleep 0.05 # a second flush, if there were one, would come now
    out.flushes.size
  end

  # The block's value, computed in a forked child. A fork has only the
  # thread that forked: no thread left by another test (a pool's timed
  # flush, a stream's reader) can take the GVL a worker passes.
  def in_fork
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      outcome = begin
        [:value, yield]
      rescue Exception => e # rubocop:disable Lint/RescueException -- reported to the parent
        [:raised, "#{e.class}: #{e.message}"]
      end
      writer.write(Marshal.dump(outcome))
      exit!(0)
    end
    writer.close
    kind, value = Marshal.load(reader.read)
    Process.wait(pid)
    kind == :value ? value : flunk("in the forked child: #{value}")
  end

  def test_never_more_threads_than_capacity_and_every_job_runs
    running = 0
    peak = 0
    lock = Mutex.new
    done = Queue.new
    pool = Stephost::WorkerPool.new(3, name: "test") do |job|
      lock.synchronize { peak = [peak, running += 1].max }
      sleep 0.05
      lock.synchronize { running -= 1 }
      done << job
    end
    9.times { |i| pool.push(i) }
    assert_equal (0...9).to_a, Array.new(9) { done.pop }.sort
    assert_equal 3, peak
    assert_equal 3, pool.size
  end
end
