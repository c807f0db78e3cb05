config = {
    "name": "conf-streams",
    "type": "api",
    "path": "/streams/:group",
    "method": "POST",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    g, body = req["pathParams"]["group"], req["body"]
    items = ctx.streams["conf-items"]  # a name that is not an identifier
    r1 = await items.set(g, body["id"], {"title": body["title"]})
    r2 = await items.get(g, body["id"])
    r3 = await items.get_group(g)
    await items.send({"groupId": g, "id": body["id"]}, {"type": "ping", "data": {"n": 1}})
    r4 = await items.delete(g, body["id"])
    r5 = await items.get(g, body["id"])
    try:
        await items.set(g, "bad", {"nope": 1})
        invalid = None
    except Exception as exc:
        invalid = str(exc)
    return {
        "status": 200,
        "body": {"set": r1, "get": r2, "group": r3, "deleted": r4, "afterDelete": r5, "invalid": invalid},
    }
