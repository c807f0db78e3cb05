# frozen_string_literal: true

require_relative "test_helper"

class RunnerTest < Minitest::Test
  Log = Stephost::Log.new(io: StringIO.new)

  def step(name, type: "event", &handler)
    Stephost::Step.new(file: "f", config: { "name" => name, "type" => type }, handler: handler)
  end

  def results(session, count, timeout: 5)
    deadline = Time.now + timeout
    out = []
    while out.size < count
      raise "timed out with #{out.size}/#{count} results" if Time.now > deadline

      session.pushed.empty? ? sleep(0.005) : out << session.pushed.pop.result
    end
    out
  end

  def test_runs_up_to_capacity_at_once_and_queues_the_rest
    running = 0
    peak = 0
    lock = Mutex.new
    slow = step("slow") do |_i, _c|
      lock.synchronize { peak = [peak, running += 1].max }
      sleep 0.2
      lock.synchronize { running -= 1 }
      nil
    end
    ex = Stephost::Runner.new([slow], capacity: 4, log: Log)
    session = StephostTest::FakeSession.new
    started = Time.now
    10.times { |i| ex.submit(session, StephostTest.invocation(step: "slow", id: "i#{i}")) }
    out = results(session, 10)
    assert_equal 4, peak
    assert_in_delta 0.6, Time.now - started, 0.25 # three waves of 0.2 s
    assert_equal (0..9).map { |i| "i#{i}" }.sort, out.map(&:invocation_id).sort
    assert ex.wait_idle(1)
  end

  # ctx carries the step's flows (as Strings) and reads the invocation's fields on demand.
  def test_the_handler_context_describes_its_invocation
    config = { "name" => "who", "type" => "event", "flows" => [:orders, "billing"] }
    who = Stephost::Step.new(file: "f", config: config, handler: lambda { |_i, ctx|
      { flows: ctx.flows, frozen: ctx.flows.frozen?, step: ctx.step, trace: ctx.trace_id, attempt: ctx.attempt, topic: ctx.topic }
    })
    ex = Stephost::Runner.new([who], capacity: 1, log: Log)
    session = StephostTest::FakeSession.new
    ex.submit(session, StephostTest.invocation(step: "who", id: "w", trace: "tr-1"))
    got = JSON.parse(results(session, 1).first.result_json)
    assert_equal({ "flows" => %w[orders billing], "frozen" => true, "step" => "who", "trace" => "tr-1", "attempt" => 1, "topic" => nil }, got)
  end

  def test_errors_become_typed_results
    boom = step("boom") { |input, _c| raise Stephost::NonRetryableError, "bad #{input['id']}" }
    exits = step("exits") { |_i, _c| exit 1 }
    ex = Stephost::Runner.new([boom, exits], capacity: 2, log: Log)
    session = StephostTest::FakeSession.new
    ex.submit(session, StephostTest.invocation(step: "boom", payload: { id: 7 }, id: "a"))
    ex.submit(session, StephostTest.invocation(step: "exits", id: "b"))
    ex.submit(session, StephostTest.invocation(step: "missing", id: "c"))
    by_id = results(session, 3).to_h { |r| [r.invocation_id, r.error] }
    assert_equal ["NonRetryableError", "bad 7", false], [by_id["a"].type, by_id["a"].message, by_id["a"].retryable]
    assert_equal "SystemExit", by_id["b"].type
    assert_match(/no step named "missing"/, by_id["c"].message)
  end

  def test_cancel_interrupts_a_running_handler_and_frees_the_slot
    ensured = Queue.new
    sleeper = step("sleeper") do |_i, _c|
      sleep 10
    rescue StandardError
      flunk "Cancelled must not be a StandardError"
    ensure
      ensured << true
    end
    quick = step("quick") { |_i, _c| "ok" }
    ex = Stephost::Runner.new([sleeper, quick], capacity: 1, log: Log)
    session = StephostTest::FakeSession.new
    ex.submit(session, StephostTest.invocation(step: "sleeper", id: "s"))
    sleep 0.05 until ex.in_flight == 1
    ex.cancel(session, "s", "deadline")
    r = results(session, 1).first
    assert_equal ["s", "Cancelled", "deadline"], [r.invocation_id, r.error.type, r.error.message]
    assert ensured.pop
    ex.submit(session, StephostTest.invocation(step: "quick", id: "q"))
    assert_equal '"ok"', results(session, 1).first.result_json
  end

  def test_cancel_of_a_queued_invocation_drops_it
    gate = Queue.new
    blocker = step("blocker") { |_i, _c| gate.pop }
    ex = Stephost::Runner.new([blocker], capacity: 1, log: Log)
    session = StephostTest::FakeSession.new
    ex.submit(session, StephostTest.invocation(step: "blocker", id: "first"))
    ex.submit(session, StephostTest.invocation(step: "blocker", id: "queued"))
    ex.cancel(session, "queued")
    gate << :go
    assert_equal ["first"], results(session, 1).map(&:invocation_id)
    assert ex.wait_idle(1)
    assert session.pushed.empty?
  end

  def test_abandon_cancels_only_that_sessions_work
    sleeper = step("sleeper") { |_i, _c| sleep 10 }
    ex = Stephost::Runner.new([sleeper], capacity: 2, log: Log)
    dead = StephostTest::FakeSession.new
    live = StephostTest::FakeSession.new
    ex.submit(dead, StephostTest.invocation(step: "sleeper", id: "d"))
    ex.submit(live, StephostTest.invocation(step: "sleeper", id: "l"))
    sleep 0.05 until ex.in_flight == 2
    ex.abandon(dead)
    assert_equal "Cancelled", results(dead, 1).first.error.type
    assert_equal 1, ex.in_flight
    ex.cancel(live, "l")
    assert ex.wait_idle(2)
  end

  def test_the_same_id_from_two_sessions_are_two_invocations
    gate = Queue.new
    blocker = step("blocker") { |_i, _c| gate.pop }
    ex = Stephost::Runner.new([blocker], capacity: 2, log: Log)
    old = StephostTest::FakeSession.new
    new = StephostTest::FakeSession.new
    ex.submit(old, StephostTest.invocation(step: "blocker", id: "1"))
    ex.submit(new, StephostTest.invocation(step: "blocker", id: "1"))
    sleep 0.01 until ex.in_flight == 2
    ex.cancel(new, "1")
    assert_equal "Cancelled", results(new, 1).first.error.type
    assert_equal 1, ex.in_flight
    gate << :go
    assert_equal "1", results(old, 1).first.invocation_id
    assert ex.wait_idle(1)
  end

  def test_many_cancels_never_leak_into_the_next_invocation
    fast = step("fast") { |_i, _c| "ok" }
    ex = Stephost::Runner.new([fast], capacity: 2, log: Log)
    session = StephostTest::FakeSession.new
    200.times do |i|
      ex.submit(session, StephostTest.invocation(step: "fast", id: "f#{i}"))
      ex.cancel(session, "f#{i - 1}") if i.positive? # races the handler finishing
    end
    assert ex.wait_idle(5)
    out = session.drain.map(&:result).to_h { |r| [r.invocation_id, r] }
    # The one invocation nobody cancelled must succeed, whatever cancels
    # raced around it; the others either finished or were cancelled.
    assert_equal '"ok"', out.fetch("f199").result_json
    out.each_value { |r| assert(r.error.nil? || r.error.type == "Cancelled", r.inspect) }
    ex.submit(session, StephostTest.invocation(step: "fast", id: "last"))
    assert_equal '"ok"', results(session, 1).first.result_json
  end
end
