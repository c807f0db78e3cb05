config = {
    "name": "conf-tick",
    "type": "cron",
    "cron": "* * * * * *",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(ctx):
    n = (await ctx.state.get("conf", "ticks") or 0) + 1
    await ctx.state.set("conf", "ticks", n)
