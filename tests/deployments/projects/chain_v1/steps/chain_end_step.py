import os

config = {"type": "event", "name": "chain-end", "subscribes": ["chain.next"]}


async def handler(data, ctx):
    # One record per key: a redelivery overwrites it (idempotent), the version says who handled it.
    await ctx.state.set(
        "chain", data["key"], {"key": data["key"], "version": os.environ.get("STEPHOST_VERSION")}
    )
