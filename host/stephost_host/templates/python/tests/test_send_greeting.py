from steps.send_greeting_step import handler

from stephost.testing import create_mock_context


async def test_send_greeting_stores_and_streams_the_greeting():
    ctx = create_mock_context()
    await handler({"name": "Ada"}, ctx)
    assert await ctx.state.get("greetings", "Ada") == {"message": "Hello, Ada!"}
    greeting = {"name": "Ada", "message": "Hello, Ada!"}
    assert await ctx.streams.greetings.get("all", "Ada") == {"id": "Ada", **greeting}
    assert ctx.emit.calls == [{"topic": "greeting.sent", "data": greeting}]
