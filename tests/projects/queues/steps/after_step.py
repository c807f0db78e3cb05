config = {"name": "q-after", "type": "event", "subscribes": ["q.after"], "emits": []}


async def handler(data, ctx):
    seen = await ctx.state.get("after", data["id"]) or 0
    await ctx.state.set("after", data["id"], seen + 1)
