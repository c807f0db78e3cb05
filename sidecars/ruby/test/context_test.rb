# frozen_string_literal: true

require_relative "test_helper"

class ContextTest < Minitest::Test
  V1 = Stephost::V1

  def setup
    @store = {}
    @session = StephostTest::FakeSession.new { |op| answer(op) }
    @ctx = Stephost::Context.new(@session, StephostTest.invocation(step: "s", id: "inv-9", trace: "tr-9"))
  end

  # A tiny in-memory host for state calls; emit answers null.
  def answer(op)
    s = op[:state] or return nil
    group = (@store[s.group] ||= {})
    case s.op
    when :GET then group[s.key]
    when :SET then group[s.key] = Stephost::Wire.parse(s.value_json)
    when :DELETE then group.delete(s.key)
    when :GET_GROUP then group.values
    when :CLEAR then group.clear && nil
    end
  end

  def test_step_topic_and_attempt
    assert_equal ["s", nil, 1], [@ctx.step, @ctx.topic, @ctx.attempt]
    inv = StephostTest.invocation(step: "ev", topic: "order.created")
    inv.attempt = 3
    event = Stephost::Context.new(@session, inv)
    assert_equal ["ev", "order.created", 3], [event.step, event.topic, event.attempt]
  end

  def test_flows_from_the_step_config
    assert_equal [], @ctx.flows
    inv = StephostTest.invocation(step: "s")
    assert_equal %w[orders billing], Stephost::Context.new(@session, inv, %w[orders billing]).flows
  end

  def test_trace_id_both_spellings
    assert_equal "tr-9", @ctx.trace_id
    assert_equal "tr-9", @ctx.traceId
  end

  def test_emit_accepts_symbol_string_and_keyword_forms
    @ctx.emit({ topic: "a", data: { n: 1 }, messageGroupId: "g" })
    @ctx.emit({ "topic" => "b", "data" => [1], "message_group_id" => "h" })
    @ctx.emit(topic: "c", data: nil)
    emits = @session.calls.map { |inv, op| [inv, op[:emit].topic, op[:emit].data_json, op[:emit].message_group_id] }
    assert_equal [["inv-9", "a", '{"n":1}', "g"], ["inv-9", "b", "[1]", "h"], ["inv-9", "c", "null", ""]], emits
  end

  def test_emit_returns_nil_and_needs_a_topic
    assert_nil @ctx.emit(topic: "x", data: 1)
    assert_raises(ArgumentError) { @ctx.emit(data: 1) }
    assert_raises(ArgumentError) { @ctx.emit("topic") }
  end

  def test_state_round_trip_and_both_get_group_spellings
    assert_equal({ "v" => 1 }, @ctx.state.set("g", :k, { v: 1 }))
    assert_equal({ "v" => 1 }, @ctx.state.get("g", "k"))
    assert_equal [{ "v" => 1 }], @ctx.state.get_group("g")
    assert_equal [{ "v" => 1 }], @ctx.state.getGroup("g")
    assert_equal({ "v" => 1 }, @ctx.state.delete("g", "k"))
    assert_nil @ctx.state.get("g", "k")
    assert_nil @ctx.state.clear("g")
    ops = @session.calls.map { |_, op| op[:state].op }
    assert_equal %i[SET GET GET_GROUP GET_GROUP DELETE GET CLEAR], ops
  end

  def test_logger_sends_fire_and_forget_records
    @ctx.logger.info("hello", { user: "ada" })
    @ctx.logger.warn("plain")
    @ctx.logger.error("odd fields", [1, 2])
    recs = @session.drain.map(&:log)
    assert_equal %w[info warn error], recs.map(&:level)
    assert_equal ["inv-9"] * 3, recs.map(&:invocation_id)
    assert_equal ['{"user":"ada"}', "", '{"data":[1,2]}'], recs.map(&:fields_json)
    assert recs.all? { |r| r.time_unix_ms.positive? }
  end

  def test_child_logger_carries_its_fields
    child = @ctx.logger.child(order: 7)
    child.info("a")
    child.child("step" => "two").warn("b", { order: 8 })
    assert_equal ['{"order":7}', '{"order":8,"step":"two"}'], @session.drain.map { |m| m.log.fields_json }
  end

  def test_streams_by_method_or_index
    @ctx.streams.chat.set("room", "m1", { text: "hi" })
    @ctx.streams[:chat].send_event({ groupId: "room" }, { type: "typing", data: {} })
    calls = @session.calls.map { |_, op| op[:stream] }
    assert_equal [%w[chat room m1 SET], ["chat", "room", "", "SEND"]], calls.map { |c| [c.stream, c.group_id, c.id, c.op.to_s] }
    refute_respond_to @ctx.streams, :to_ary
  end

  def test_host_errors_raise_with_type_and_message
    session = Stephost::Session.new
    ctx = Stephost::Context.new(session, StephostTest.invocation(step: "s", id: "inv-1"))
    t = Thread.new { ctx.state.get("g", "k") }
    t.report_on_exception = false
    sleep 0.01 until (msg = session.instance_variable_get(:@out).then { |q| q.empty? ? nil : q.pop })
    session.resolve(V1::CallResult.new(call_id: msg.call.call_id,
                                       error: V1::StepError.new(type: "ValueError", message: "bad key")))
    err = assert_raises(Stephost::HostError) { t.value }
    assert_equal ["ValueError", "bad key"], [err.type, err.message]
  end
end
