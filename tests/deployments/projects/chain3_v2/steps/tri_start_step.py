config = {"type": "event", "name": "tri-start", "subscribes": ["tri.start"], "emits": ["tri.mid"]}


async def handler(data, ctx):
    await ctx.emit({"topic": "tri.mid", "data": data})
