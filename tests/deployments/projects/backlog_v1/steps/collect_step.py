config = {"type": "event", "name": "backlog-collect", "subscribes": ["backlog.item"]}


async def handler(data, ctx):
    await ctx.state.set("backlog", data["key"], data)
