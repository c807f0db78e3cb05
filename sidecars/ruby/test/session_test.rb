# frozen_string_literal: true

require_relative "test_helper"
require "minitest/mock"

class SessionTest < Minitest::Test
  V1 = Stephost::V1

  def log_msg(text) = V1::SidecarMessage.new(log: V1::LogRecord.new(message: text))

  def quiet_thread(&block) = Thread.new(&block).tap { |t| t.report_on_exception = false }

  # A Link stand-in: keeps each batch written, read back as the host reads
  # it, and :half_closed. With a gate, every write first waits for a token.
  class FakeLink
    attr_reader :sent

    def initialize(gate: nil)
      @sent = Queue.new
      @gate = gate
    end

    def write(bytes)
      @gate&.pop
      @sent << V1::SidecarBatch.decode(bytes)
    end

    def half_close = @sent << :half_closed
    def cancel = nil
    def close = nil
  end

  def attached(session, link = FakeLink.new)
    session.attach(link)
    link
  end

  def next_batch(link) = link.sent.pop

  def texts(batch) = batch.messages.map { |m| m.log.message }

  def test_what_was_queued_before_the_link_goes_in_one_batch_then_each_push_sends
    session = Stephost::Session.new
    3.times { |i| session.push(log_msg("m#{i}")) }
    link = attached(session)
    assert_equal %w[m0 m1 m2], texts(next_batch(link))
    session.push(log_msg("m3"))
    assert_equal 1, link.sent.size # sent by the pushing thread, before push returned
    assert_equal %w[m3], texts(next_batch(link))
    session.close("done")
    assert_equal :half_closed, next_batch(link)
  end

  # Flat combining: while one thread sends, others only queue (they never
  # wait for the send), and the sending thread takes what piled up.
  def test_messages_queued_during_a_send_go_together_in_the_next_one
    session = Stephost::Session.new
    gate = Queue.new
    link = attached(session, FakeLink.new(gate: gate))
    sender = quiet_thread { session.push(log_msg("first")) }
    sleep 0.01 until gate.num_waiting == 1
    assert session.push(log_msg("second"))
    assert session.push(log_msg("third"))
    2.times { gate << :go }
    assert_equal %w[first], texts(next_batch(link))
    assert_equal %w[second third], texts(next_batch(link))
    assert sender.value
    assert_equal 0, link.sent.size
  end

  # Runs the block with Thread.pass replaced: each pass runs the next of
  # `during` (what other threads would do while this one lets them run).
  # Returns how many passes there were.
  def with_passes(during)
    passes = 0
    pass = lambda do
      passes += 1
      during.shift&.call
    end
    Thread.stub(:pass, pass) { yield }
    passes
  end

  # Busy (more than BUSY_IN_FLIGHT invocations running), the sender lets the
  # other threads run before it takes a batch, while they keep queueing: what
  # they queue meanwhile (their own #flush finds the send taken) goes out
  # with its message instead of in batches of their own.
  def test_a_busy_sender_lets_other_threads_join_its_batch
    session = Stephost::Session.new(in_flight: -> { Stephost::Session::BUSY_IN_FLIGHT + 1 })
    link = attached(session)
    others = %w[b c].map { |text| -> { session.push(log_msg(text)) } }
    passes = with_passes(others) { session.push(log_msg("a")) }
    assert_equal %w[a b c], texts(next_batch(link))
    assert_equal 0, link.sent.size
    assert_equal 3, passes # b and c each grew the queue: it passed as often as it may
  end

  # One request at a time, or a batch that starts with a big message: no pass.
  def test_a_quiet_sender_or_a_big_message_goes_at_once
    [[0, "a"], [Stephost::Session::BUSY_IN_FLIGHT + 1, "a" * Stephost::Session::BUSY_WAIT_BELOW]].each do |running, text|
      session = Stephost::Session.new(in_flight: -> { running })
      link = attached(session)
      passes = with_passes([-> { session.push(log_msg("b")) }]) { session.push(log_msg(text)) }
      assert_equal 0, passes
      assert_equal [text], texts(next_batch(link))
    end
  end

  # Lengths of 1, 2 and 3 varint bytes: the hand-framed batch is byte for
  # byte what protobuf's own encoder makes of the same messages.
  def test_an_encoded_batch_is_the_sidecar_batch_encoding
    messages = [log_msg(""), log_msg("x" * 200),
                V1::SidecarMessage.new(result: V1::InvocationResult.new(invocation_id: "i", result_json: "y" * 70_000))]
    batch = Stephost::EncodedBatch.new(messages.map { |m| Stephost::EncodedBatch.item(m.to_proto) })
    assert_equal V1::SidecarBatch.encode(V1::SidecarBatch.new(messages: messages)), batch.bytes
    assert_equal 3, batch.size
  end

  def test_batches_are_bounded
    session = Stephost::Session.new
    (Stephost::Session::MAX_BATCH + 5).times { |i| session.push(log_msg(i.to_s)) }
    link = attached(session)
    assert_equal Stephost::Session::MAX_BATCH, next_batch(link).messages.size
    assert_equal 5, next_batch(link).messages.size
  end

  def test_batches_stay_under_the_message_limit_in_order
    session = Stephost::Session.new
    big = "x" * (25 * 1024 * 1024)
    %w[a b c d].each { |id| session.push(V1::SidecarMessage.new(result: V1::InvocationResult.new(invocation_id: id, result_json: big))) }
    session.push(log_msg("after"))
    session.close("done")
    link = attached(session)
    batches = []
    while (batch = next_batch(link)) != :half_closed
      batches << batch
    end
    assert_operator batches.size, :>=, 2
    batches.each { |b| assert_operator b.to_proto.bytesize, :<=, Stephost::Session::MAX_MESSAGE_BYTES }
    sent = batches.flat_map(&:messages).map { |m| m.result ? m.result.invocation_id : m.log.message }
    assert_equal %w[a b c d after], sent
  end

  def test_a_message_over_the_limit_alone_fails_by_itself
    session = Stephost::Session.new
    link = attached(session)
    huge = "x" * Stephost::Session::MAX_MESSAGE_BYTES
    session.push(V1::SidecarMessage.new(result: V1::InvocationResult.new(invocation_id: "big", result_json: huge)))
    call = quiet_thread { session.call("big", emit: V1::EmitCall.new(topic: "t", data_json: huge)) }
    sleep 0.01 until session.instance_variable_get(:@pending).any?
    session.push(V1::SidecarMessage.new(result: V1::InvocationResult.new(invocation_id: "small", result_json: "1")))
    sent = []
    sent.concat(next_batch(link).messages) until sent.size == 2 # the sender meets the call and answers it
    err = assert_raises(Stephost::HostError) { call.value }
    assert_equal "PayloadTooLarge", err.type
    assert_match(/the call is \d+ bytes encoded, over the sidecar link's limit of 67108864 bytes/, err.message)
    assert_equal %w[big small], sent.map { |m| m.result.invocation_id }
    assert_equal "PayloadTooLarge", sent[0].result.error.type
    refute sent[0].result.error.retryable
  end

  def test_call_results_are_matched_by_call_id
    session = Stephost::Session.new
    link = attached(session)
    get = quiet_thread { session.call("inv-1", state: V1::StateCall.new(op: :GET, group: "g", key: "k")) }
    emit = quiet_thread { session.call("inv-2", emit: V1::EmitCall.new(topic: "t", data_json: "1")) }
    calls = []
    calls.concat(next_batch(link).messages.map(&:call)) while calls.size < 2
    assert_equal 2, calls.map(&:call_id).uniq.size
    by_op = calls.to_h { |c| [c.op, c] }
    assert_equal "inv-1", by_op[:state].invocation_id
    # Answer in the opposite order to the calls.
    session.resolve(V1::CallResult.new(call_id: by_op[:emit].call_id, result_json: "null"))
    session.resolve(V1::CallResult.new(call_id: by_op[:state].call_id, result_json: '{"v":1}'))
    assert_equal({ "v" => 1 }, get.value)
    assert_nil emit.value
  end

  def test_close_fails_waiting_calls_and_drops_later_output
    session = Stephost::Session.new
    waiting = quiet_thread { session.call("inv", emit: V1::EmitCall.new(topic: "t")) }
    sleep 0.01 until session.instance_variable_get(:@pending).any?
    session.close("gone")
    err = assert_raises(Stephost::ConnectionLostError) { waiting.value }
    assert_match(/gone/, err.message)
    assert_raises(Stephost::ConnectionLostError) { session.call("inv", emit: V1::EmitCall.new(topic: "t")) }
    refute session.push(log_msg("late"))
  end

  # The host also stopped reading: the heartbeat's send never completes,
  # and the watchdog must not be the thread stuck in it.
  def test_a_silent_host_kills_the_stream
    session = Stephost::Session.new
    killed = Queue.new
    stuck = FakeLink.new(gate: Queue.new)
    session.attach(stuck.tap { |link| link.define_singleton_method(:cancel) { killed << true } })
    session.welcome(20) # ms
    session.start_watchdog
    assert killed.pop
    assert_match(/no message from the host/, session.kill_reason)
    session.close("test over")
  end

  def test_heartbeats_carry_in_flight
    session = Stephost::Session.new(in_flight: -> { 3 })
    link = attached(session)
    session.welcome(20)
    session.start_watchdog
    beat = nil
    beat = next_batch(link).messages.find(&:heartbeat) until beat
    assert_equal 3, beat.heartbeat.in_flight
    assert_operator beat.heartbeat.sent_unix_ms, :>, 0
    session.close("test over")
  end
end
