import time

from stephost import NonRetryableError, RetryableError

config = {
    "name": "conf-typed",
    "type": "event",
    "subscribes": ["conf.typed"],
    "emits": [],
    "flows": ["conformance"],
    "infrastructure": {"queue": {"maxRetries": 3}},
}


async def handler(input, ctx):
    if input["mode"] == "fatal":
        raise NonRetryableError("fatal: " + input["id"])
    n = (await ctx.state.get("conf-typed", input["id"]) or 0) + 1
    await ctx.state.set("conf-typed", input["id"], n)
    if n == 1:
        await ctx.state.set("conf-typed-at", input["id"], time.time())
        raise RetryableError("later", retry_after=1)
    first = await ctx.state.get("conf-typed-at", input["id"])
    await ctx.state.set("conf", "typed-" + input["id"], {"attempts": n, "waited": time.time() - first})
