from steps.count_greetings_step import handler

from stephost.testing import create_mock_context


async def test_count_greetings_logs_the_count():
    ctx = create_mock_context()
    await ctx.state.set("greetings", "Ada", {"message": "Hello, Ada!"})
    await handler(ctx)
    assert ctx.logger.calls == [("info", "greetings so far", {"count": 1})]
