config = {
    "name": "q-doomed",
    "type": "event",
    "subscribes": ["q.doomed"],
    "emits": [],
    "infrastructure": {"queue": {"maxRetries": 1}},
}


async def handler(data, ctx):
    if not await ctx.state.get("heal", data["id"]):
        raise RuntimeError(f"not healed yet: {data['id']}")
    await ctx.state.set("healed", data["id"], {"attempt": ctx.attempt, "traceId": ctx.trace_id})
