config = {
    "name": "orders-report",
    "type": "cron",
    "description": "Counts orders by status every 10 seconds",
    "cron": "*/10 * * * * *",
    "emits": [],
    "flows": ["orders"],
}


async def handler(ctx):
    by_status = {}
    for order in await ctx.state.get_group("orders"):
        by_status[order["status"]] = by_status.get(order["status"], 0) + 1
    await ctx.state.set("stats", "report", by_status)
    ctx.logger.info("orders report", by_status)
