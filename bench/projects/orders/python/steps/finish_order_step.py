config = {"name": "finish-order", "type": "event", "subscribes": ["order.done"], "emits": []}


async def handler(order, ctx):
    await ctx.state.set("orders-done", order["id"], {**order, "status": "done"})
