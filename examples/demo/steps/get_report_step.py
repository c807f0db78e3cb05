config = {
    "name": "get-report",
    "type": "api",
    "path": "/orders-report",
    "method": "GET",
    "emits": [],
    "flows": ["orders"],
}


async def handler(req, ctx):
    return {"status": 200, "body": await ctx.state.get("stats", "report")}
