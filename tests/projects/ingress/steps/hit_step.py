# One event step per language on the same topic: an event from ingress reaches all three.
config = {
    "name": "ingress-py",
    "type": "event",
    "subscribes": ["ingress.hit"],
    "emits": [],
    "flows": ["ingress"],
}


async def handler(data, ctx):
    await ctx.state.set(
        "ingress-hits", f"{data['id']}:python", {"lang": "python", "traceId": ctx.trace_id, "data": data}
    )
