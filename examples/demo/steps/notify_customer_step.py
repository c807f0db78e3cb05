config = {
    "name": "notify-customer",
    "type": "event",
    "description": "Tells the customer the order is on its way",
    "subscribes": ["order.reserved"],
    "emits": [],
    "flows": ["orders"],
}

# Idempotent like reserve-stock: a redelivered event finds its record and does nothing,
# so a customer is told once, and nothing another step wrote is overwritten.


async def handler(event, ctx):
    if await ctx.state.get("notifications", event["id"]) is not None:
        ctx.logger.info("customer already notified (a redelivered event)", {"orderId": event["id"]})
        return
    await ctx.state.set("notifications", event["id"], {"id": event["id"], "trace": ctx.trace_id})
    ctx.logger.info("customer notified", {"orderId": event["id"]})
