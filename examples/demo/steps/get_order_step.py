config = {
    "name": "get-order",
    "type": "api",
    "path": "/orders/:id",
    "method": "GET",
    "emits": [],
    "flows": ["orders"],
}


async def handler(req, ctx):
    order = await ctx.state.get("orders", req["pathParams"]["id"])
    if order is None:
        return {"status": 404, "body": {"error": "no such order"}}
    return {"status": 200, "body": order}
