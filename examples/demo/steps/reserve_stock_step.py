import uuid

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
# overwrites what another step wrote: it claims its own record once per order with an
# atomic state.update (of two concurrent runs exactly one wins), and the order's status
# is read from which records exist (get-order). A run that finds the record already
# claimed repeats nothing but the emit, which carries the same message id as the first
# time, so the queue drops the copy.
async def handler(order, ctx):
    # Emitted from outside (stephost emit): the order record may not exist yet.
    await ctx.state.update("orders", order["id"], lambda old: old or dict(order, status="created", traces=[]))
    mine = {"id": order["id"], "trace": ctx.trace_id, "claim": uuid.uuid4().hex}
    if await ctx.state.update("reservations", order["id"], lambda old: old or mine) != mine:
        ctx.logger.info("stock already reserved (a redelivered event)", {"orderId": order["id"]})
    await ctx.emit({"topic": "order.reserved", "data": {"id": order["id"]}})
