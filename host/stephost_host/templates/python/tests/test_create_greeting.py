from steps.create_greeting_step import handler

from stephost.testing import create_mock_context


async def test_create_greeting_queues_the_name():
    ctx = create_mock_context(trace_id="t-1")
    r = await handler({"body": {"name": "Ada"}}, ctx)
    assert r == {"status": 202, "body": {"queued": True, "name": "Ada"}}
    assert ctx.emit.calls == [{"topic": "greeting.requested", "data": {"name": "Ada"}}]
