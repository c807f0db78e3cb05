config = {"name": "pin", "type": "api", "path": "/pin/:group/:id", "method": "POST", "emits": []}


async def handler(req, ctx):
    p = req["pathParams"]
    return {"status": 200, "body": await ctx.streams.board.set(p["group"], p["id"], req["body"])}
