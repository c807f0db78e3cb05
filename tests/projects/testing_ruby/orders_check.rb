# The project's own tests (tests/test_testing_helpers.py copies this to orders_test.rb).
require "minitest/autorun"
require "stephost/testing"

EXPECTED = "shipped" # the failing variant replaces this

class OrdersTest < Minitest::Test
  include Stephost::Testing::Minitest
  stephost_project __dir__

  def test_an_order_is_shipped
    shipped = stephost_tester.watch("order.shipped")
    r = stephost_tester.post("/orders", body: { id: "o-1" })
    assert_equal 201, r.status
    assert_equal({ "id" => "o-1" }, r.body)
    stephost_tester.wait_events
    assert_equal [{ "id" => "o-1" }], shipped.captured_events.map { |e| e["data"] }
    assert_equal({ "status" => EXPECTED }, stephost_tester.get("/orders/o-1").body)
  end

  def test_an_emitted_event_is_handled
    shipped = stephost_tester.watch("order.shipped")
    stephost_tester.emit("order.created", { id: "o-2" }, trace_id: "trace-o-2")
    stephost_tester.wait_events
    assert_equal [{ "topic" => "order.shipped", "data" => { "id" => "o-2" }, "traceId" => "trace-o-2" }],
                 shipped.captured_events
  end

  def test_the_handler_alone
    load File.join(__dir__, "steps", "create_order.step.rb")
    ctx = Stephost::Testing.mock_context(trace_id: "t-1")
    r = handler({ "body" => { "id" => "o-3" } }, ctx)
    assert_equal({ status: 201, body: { id: "o-3" } }, r)
    assert_equal [{ "topic" => "order.created", "data" => { "id" => "o-3" } }], ctx.emitted
    assert_equal [["info", "order received", { "order" => "o-3" }]], ctx.logger.calls
    ctx.state.set("orders", "o-3", { status: "new" })
    assert_equal "new", ctx.state.get("orders", "o-3")[:status]
  end
end
