config = {"name": "read-one", "type": "api", "path": "/state/:group/:key", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": await ctx.state.get(req["pathParams"]["group"], req["pathParams"]["key"])}
