config = {"name": "get-order", "type": "api", "path": "/orders/:id", "method": "GET", "emits": []}


async def handler(req, ctx):
    order = await ctx.state.get("orders", req["pathParams"]["id"])
    return {"status": 200, "body": order} if order else {"status": 404, "body": {"error": "no such order"}}
