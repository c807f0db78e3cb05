config = {
    "name": "reserve-stock",
    "type": "event",
    "description": "Reserves stock for a new order",
    "subscribes": ["order.created"],
    "emits": ["order.reserved"],
    "flows": ["orders"],
    "infrastructure": {"queue": {"maxRetries": 3}},
}

# Queues deliver at least once: after a crash this handler may run again for the same
# event, even while another run of it (or notify-customer) is under way. So it never
# overwrites what another step wrote; it writes only its own record, once per order,
# and the order's status is read from which records exist (get-order). A run that
# finds its record already there repeats nothing but the emit, which carries the same
# message id as the first time, so the queue drops the copy.


async def handler(order, ctx):
    if await ctx.state.get("orders", order["id"]) is None:  # emitted from outside (stephost emit)
        await ctx.state.set("orders", order["id"], dict(order, status="created", traces=[]))
    if await ctx.state.get("reservations", order["id"]) is None:
        await ctx.state.set("reservations", order["id"], {"id": order["id"], "trace": ctx.trace_id})
    else:
        ctx.logger.info("stock already reserved (a redelivered event)", {"orderId": order["id"]})
    await ctx.emit({"topic": "order.reserved", "data": {"id": order["id"]}})
