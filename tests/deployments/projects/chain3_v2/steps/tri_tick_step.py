import time

config = {"type": "cron", "name": "tri-tick", "cron": "* * * * * *", "emits": []}


async def handler(ctx):
    # One entry per fire, with when it ran: a tick fired twice shows up as one run too many.
    await ctx.state.set("tri-ticks", ctx.trace_id, time.time())
