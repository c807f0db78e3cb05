import time

config = {
    "name": "q-delayed",
    "type": "event",
    "subscribes": ["q.delayed"],
    "emits": [],
    "infrastructure": {"queue": {"delaySeconds": 2}},
}


async def handler(data, ctx):
    await ctx.state.set(
        "delayed", data["id"], {"waited": time.time() - data["emittedAt"], "attempt": ctx.attempt}
    )
