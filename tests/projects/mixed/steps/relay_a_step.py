config = {
    "name": "mixed-py-a",
    "type": "event",
    "subscribes": ["mixed.a1"],
    "emits": ["mixed.a2"],
    "flows": ["mixed"],
}


async def handler(data, ctx):
    seen = await ctx.state.get("mixed", data["id"])
    await ctx.state.set("mixed", data["id"], [*seen, {"lang": "python", "traceId": ctx.trace_id}])
    await ctx.emit({"topic": "mixed.a2", "data": data})
