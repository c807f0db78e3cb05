config = {
    "name": "notify-customer",
    "type": "event",
    "description": "Tells the customer the order is on its way",
    "subscribes": ["order.reserved"],
    "emits": [],
    "flows": ["orders"],
}


async def handler(event, ctx):
    order = await ctx.state.get("orders", event["id"])
    order.update(status="notified", traces=[*order["traces"], ctx.trace_id])
    await ctx.state.set("orders", event["id"], order)
    notified = (await ctx.state.get("stats", "notified") or 0) + 1
    await ctx.state.set("stats", "notified", notified)
    ctx.logger.info("customer notified", {"orderId": event["id"], "notifiedSoFar": notified})
