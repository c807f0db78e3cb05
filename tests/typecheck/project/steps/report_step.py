config = {
    "name": "tc-report",
    "type": "api",
    "path": "/tc/orders/:id",
    "method": "GET",
    "emits": [],
    "flows": ["typecheck"],
}


async def handler(req, ctx):
    return {"status": 200, "body": await ctx.state.get("tc", req["pathParams"]["id"])}
