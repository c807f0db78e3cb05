config = {
    "name": "todo-delete",
    "type": "api",
    "path": "/todo/:stream/:group/:id",
    "method": "DELETE",
    "emits": [],
}


async def handler(req, ctx):
    p = req["pathParams"]
    return {"status": 200, "body": await ctx.streams[p["stream"]].delete(p["group"], p["id"])}
