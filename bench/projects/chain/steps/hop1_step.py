config = {"name": "hop1", "type": "event", "subscribes": ["bench.hop1"], "emits": ["bench.hop2"]}


async def handler(data, ctx):
    await ctx.emit({"topic": "bench.hop2", "data": data})
