config = {
    "name": "orders-report",
    "type": "cron",
    "description": "Counts orders by status every 10 seconds",
    "cron": "*/10 * * * * *",
    "emits": [],
    "flows": ["orders"],
}


async def handler(ctx):
    # An order's status is the furthest step that recorded it (see get-order).
    status = {order["id"]: "created" for order in await ctx.state.get_group("orders")}
    for step, group in (("reserved", "reservations"), ("notified", "notifications")):
        for record in await ctx.state.get_group(group):
            status[record["id"]] = step
    by_status = {}
    for s in status.values():
        by_status[s] = by_status.get(s, 0) + 1
    await ctx.state.set("stats", "report", by_status)
    ctx.logger.info("orders report", by_status)
