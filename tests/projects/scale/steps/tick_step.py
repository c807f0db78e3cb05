import time

config = {"name": "tick", "type": "cron", "cron": "* * * * * *", "emits": []}


async def handler(ctx):
    # One entry per fire; two entries with the same second would mean a tick fired twice.
    await ctx.state.set("ticks", ctx.trace_id, int(time.time()))
