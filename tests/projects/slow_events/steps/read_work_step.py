config = {"name": "read-work", "type": "api", "path": "/work/:group/:id", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": await ctx.state.get(req["pathParams"]["group"], req["pathParams"]["id"])}
