config = {
    "name": "conf-emit",
    "type": "api",
    "path": "/emit/:topic",
    "method": "POST",
    "emits": ["conf.note", "conf.flaky", "conf.doomed"],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    body = req["body"] or {}
    event = {"topic": "conf." + req["pathParams"]["topic"], "data": body}
    if body.get("group"):
        event["messageGroupId"] = body["group"]
    await ctx.emit(event)
    return {"status": 202, "body": {"ok": True}}
