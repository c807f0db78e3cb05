# The project's own tests (tests/test_testing_helpers.py copies this to test_orders.py).
from steps.create_order_step import handler as create_order

from stephost.testing import create_mock_context

EXPECTED = "shipped"  # the failing variant replaces this


async def test_an_order_is_shipped(stephost_tester):
    shipped = await stephost_tester.watch("order.shipped")
    r = await stephost_tester.post("/orders", body={"id": "o-1"})
    assert r.status == 201 and r.body == {"id": "o-1"}
    await stephost_tester.wait_events()
    assert [e["data"] for e in shipped.captured_events()] == [{"id": "o-1"}]
    got = await stephost_tester.get("/orders/o-1")
    assert got.status == 200 and got.body == {"status": EXPECTED}


async def test_an_emitted_event_is_handled(stephost_tester):
    shipped = await stephost_tester.watch("order.shipped")
    await stephost_tester.emit("order.created", {"id": "o-2"}, trace_id="trace-o-2")
    await stephost_tester.wait_events()
    assert shipped.captured_events() == [
        {"topic": "order.shipped", "data": {"id": "o-2"}, "traceId": "trace-o-2"}
    ]


async def test_the_handler_alone():
    ctx = create_mock_context(trace_id="t-1")
    r = await create_order({"body": {"id": "o-3"}}, ctx)
    assert r == {"status": 201, "body": {"id": "o-3"}}
    assert ctx.emit.calls == [{"topic": "order.created", "data": {"id": "o-3"}}]
    assert ctx.logger.calls == [("info", "order received", {"order": "o-3"})]
