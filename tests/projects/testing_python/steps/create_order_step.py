config = {
    "name": "create-order",
    "type": "api",
    "path": "/orders",
    "method": "POST",
    "emits": ["order.created"],
}


async def handler(req, ctx):
    order = req["body"]["id"]
    ctx.logger.info("order received", {"order": order})
    await ctx.emit({"topic": "order.created", "data": {"id": order}})
    return {"status": 201, "body": {"id": order}}
