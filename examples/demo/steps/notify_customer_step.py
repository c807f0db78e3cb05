import uuid

config = {
    "name": "notify-customer",
    "type": "event",
    "description": "Tells the customer the order is on its way",
    "subscribes": ["order.reserved"],
    "emits": [],
    "flows": ["orders"],
}


# Idempotent like reserve-stock: the notification record is claimed with an atomic
# state.update, so of two runs for one order (a redelivery racing the first run) exactly
# one tells the customer, and nothing another step wrote is overwritten.
async def handler(event, ctx):
    mine = {"id": event["id"], "trace": ctx.trace_id, "claim": uuid.uuid4().hex}
    if await ctx.state.update("notifications", event["id"], lambda old: old or mine) != mine:
        ctx.logger.info("customer already notified (a redelivered event)", {"orderId": event["id"]})
        return
    ctx.logger.info("customer notified", {"orderId": event["id"]})
