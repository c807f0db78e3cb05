config = {
    "name": "soak-first",
    "type": "event",
    "subscribes": ["soak.start"],
    "emits": ["soak.mid"],
    "infrastructure": {"handler": {"timeout": 5}, "queue": {"maxRetries": 50, "visibilityTimeout": 8}},
}


async def handler(data, ctx):
    await ctx.emit({"topic": "soak.mid", "data": data})
