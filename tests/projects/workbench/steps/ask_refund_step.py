config = {
    "name": "ask-refund",
    "type": "api",
    "path": "/shop/refunds",
    "method": "POST",
    "emits": ["shop.refund"],
    "flows": ["refunds"],
}


async def handler(req, ctx):
    await ctx.emit({"topic": "shop.refund", "data": {"id": req["body"]["id"]}})
    return {"status": 202, "body": {"id": req["body"]["id"]}}
