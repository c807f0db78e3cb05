config = {
    "name": "todo-write",
    "type": "api",
    "path": "/todo/:stream/:group/:id",
    "method": "POST",
    "emits": [],
}


async def handler(req, ctx):
    p = req["pathParams"]
    return {"status": 200, "body": await ctx.streams[p["stream"]].set(p["group"], p["id"], req["body"])}
