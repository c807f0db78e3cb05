import time

from stephost import HostCallError

config = {
    "name": "q-emit",
    "type": "api",
    "path": "/emit/:topic",
    "method": "POST",
    "emits": ["q.delayed", "q.fifo", "q.typed"],
}


async def handler(req, ctx):
    body = req["body"]
    event = {"topic": req["pathParams"]["topic"], "data": {**body, "emittedAt": time.time()}}
    if "group" in body:
        event["messageGroupId"] = body["group"]
    try:
        await ctx.emit(event)
    except HostCallError as exc:
        return {"status": 400, "body": {"error": str(exc)}}
    return {"status": 202, "body": {"ok": True}}
