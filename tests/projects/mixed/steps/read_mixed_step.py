config = {
    "name": "mixed-read",
    "type": "api",
    "path": "/mixed/:id",
    "method": "GET",
    "emits": [],
    "flows": ["mixed"],
}


async def handler(req, ctx):
    return {"status": 200, "body": await ctx.state.get("mixed", req["pathParams"]["id"])}
