config = {
    "name": "reserve-stock",
    "type": "event",
    "description": "Reserves stock for a new order",
    "subscribes": ["order.created"],
    "emits": ["order.reserved"],
    "flows": ["orders"],
    "infrastructure": {"queue": {"maxRetries": 3}},
}


async def handler(order, ctx):
    stored = await ctx.state.get("orders", order["id"]) or dict(order, traces=[])
    stored.update(status="reserved", traces=[*stored.get("traces", []), ctx.trace_id])
    await ctx.state.set("orders", order["id"], stored)
    await ctx.emit({"topic": "order.reserved", "data": {"id": order["id"]}})
