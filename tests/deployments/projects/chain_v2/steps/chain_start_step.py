config = {"type": "event", "name": "chain-start", "subscribes": ["chain.start"], "emits": ["chain.next"]}


async def handler(data, ctx):
    await ctx.emit({"topic": "chain.next", "data": data})
