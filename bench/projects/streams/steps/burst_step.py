config = {"name": "burst", "type": "api", "path": "/burst/:group/:n", "method": "POST", "emits": []}


async def handler(req, ctx):
    p = req["pathParams"]
    for i in range(int(p["n"])):
        await ctx.streams.ticker.set(p["group"], f"{req['body']['prefix']}-{i}", {"i": i})
    return {"status": 204, "body": None}
