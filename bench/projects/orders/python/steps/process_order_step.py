config = {"name": "process-order", "type": "event", "subscribes": ["order.created"], "emits": ["order.done"]}


async def handler(order, ctx):
    await ctx.state.set("orders", order["id"], {**order, "status": "processed"})
    await ctx.emit({"topic": "order.done", "data": order})
