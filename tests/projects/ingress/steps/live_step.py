# Writes a stream item the way a handler does, so SubscribeStream clients see every change.
config = {
    "name": "ingress-live-writer",
    "type": "event",
    "subscribes": ["ingress.live"],
    "emits": [],
    "flows": ["ingress"],
}


async def handler(data, ctx):
    live = ctx.streams["ingress-live"]
    group, item = data["group"], data["id"]
    await live.set(group, item, {"n": 1})
    await live.set(group, item, {"n": 2})
    await live.send({"groupId": group, "id": item}, {"type": "ping", "data": {"traceId": ctx.trace_id}})
    if not data.get("keep"):
        await live.delete(group, item)
