config = {"name": "read", "type": "api", "path": "/state/:group", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": await ctx.state.get_group(req["pathParams"]["group"])}
