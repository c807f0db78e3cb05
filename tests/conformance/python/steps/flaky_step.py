config = {
    "name": "conf-flaky",
    "type": "event",
    "subscribes": ["conf.flaky"],
    "emits": [],
    "flows": ["conformance"],
    "infrastructure": {"queue": {"maxRetries": 3}},
}


async def handler(input, ctx):
    n = (await ctx.state.get("conf-flaky", input["id"]) or 0) + 1
    await ctx.state.set("conf-flaky", input["id"], n)
    if n < 2:
        raise RuntimeError("flaky failure")
    await ctx.state.set("conf", "flaky-" + input["id"], {"attempts": n})
