config = {"name": "q-witness", "type": "event", "subscribes": ["q.doomed"], "emits": []}


async def handler(data, ctx):
    # Another subscriber of the same topic: a replay meant for q-doomed must not reach it.
    seen = await ctx.state.get("witness", data["id"]) or 0
    await ctx.state.set("witness", data["id"], seen + 1)
