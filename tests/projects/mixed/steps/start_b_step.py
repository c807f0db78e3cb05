# Flow B: Python api -> Ruby event -> TypeScript event -> Python event, each touching state
config = {
    "name": "mixed-py-api",
    "type": "api",
    "path": "/mixed/b",
    "method": "POST",
    "emits": ["mixed.b1"],
    "flows": ["mixed"],
}


async def handler(req, ctx):
    item = req["body"]["id"]
    await ctx.state.set("mixed", item, [{"lang": "python", "traceId": ctx.trace_id}])
    await ctx.emit({"topic": "mixed.b1", "data": {"id": item}})
    return {"status": 202, "body": {"id": item}}
