config = {"name": "ship-order", "type": "event", "subscribes": ["order.created"], "emits": ["order.shipped"]}


async def handler(data, ctx):
    await ctx.state.set("orders", data["id"], {"status": "shipped"})
    await ctx.emit({"topic": "order.shipped", "data": {"id": data["id"]}})
