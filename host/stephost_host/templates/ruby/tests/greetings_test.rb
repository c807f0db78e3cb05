require "test_helper"

class GreetingsTest < Minitest::Test
  include Stephost::Testing::Minitest
  stephost_project PROJECT # stephost dev on free ports, with its own NATS

  def test_a_greeting_goes_through_the_whole_flow
    sent = stephost_tester.watch("greeting.sent")
    assert_equal 202, stephost_tester.post("/greetings", body: { name: "Ada" }).status
    stephost_tester.wait_events
    assert_equal [{ "name" => "Ada", "message" => "Hello, Ada!" }], sent.captured_events.map { |e| e["data"] }
    item = stephost_tester.get("/__stephost/streams/greetings/all/Ada").body
    assert_equal({ "id" => "Ada", "name" => "Ada", "message" => "Hello, Ada!" }, item)
  end

  def test_create_greeting_queues_the_name
    ctx = Stephost::Testing.mock_context(trace_id: "t-1")
    r = load_step("create_greeting.step.rb").handler({ "body" => { "name" => "Ada" } }, ctx)
    assert_equal({ status: 202, body: { queued: true, name: "Ada" } }, r)
    assert_equal [{ "topic" => "greeting.requested", "data" => { "name" => "Ada" } }], ctx.emitted
  end

  def test_send_greeting_stores_and_streams_the_greeting
    ctx = Stephost::Testing.mock_context
    load_step("send_greeting.step.rb").handler({ "name" => "Ada" }, ctx)
    assert_equal({ "message" => "Hello, Ada!" }, ctx.state.get("greetings", "Ada"))
    assert_equal({ "id" => "Ada", "name" => "Ada", "message" => "Hello, Ada!" }, ctx.streams.greetings.get("all", "Ada"))
    assert_equal [{ "topic" => "greeting.sent", "data" => { "name" => "Ada", "message" => "Hello, Ada!" } }], ctx.emitted
  end

  def test_count_greetings_logs_the_count
    ctx = Stephost::Testing.mock_context
    ctx.state.set("greetings", "Ada", { "message" => "Hello, Ada!" })
    load_step("count_greetings.step.rb").handler(ctx)
    assert_equal [["info", "greetings so far", { "count" => 1 }]], ctx.logger.calls
  end
end
