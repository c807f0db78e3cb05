config = {"name": "todo-ping", "type": "api", "path": "/ping/:stream/:group", "method": "POST", "emits": []}


async def handler(req, ctx):
    p = req["pathParams"]
    channel = {"groupId": p["group"], **({"id": req["body"]["id"]} if req["body"].get("id") else {})}
    await ctx.streams[p["stream"]].send(channel, {"type": "ping", "data": req["body"]})
    return {"status": 204, "body": None}
