# Fails its first attempt: wait_events must wait for the retry (tests/test_testing_helpers.py).
config = {"name": "flaky", "type": "event", "subscribes": ["flaky.go"], "emits": ["flaky.done"]}


async def handler(data, ctx):
    attempts = (await ctx.state.get("flaky", data["id"])) or 0
    await ctx.state.set("flaky", data["id"], attempts + 1)
    if attempts == 0:
        raise RuntimeError("the first attempt fails on purpose")
    await ctx.emit({"topic": "flaky.done", "data": {"id": data["id"], "attempt": ctx.attempt}})
