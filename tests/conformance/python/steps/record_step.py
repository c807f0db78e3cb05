config = {
    "name": "conf-record",
    "type": "event",
    "subscribes": ["conf.note"],
    "emits": [],
    "flows": ["conformance"],
}


async def handler(input, ctx):
    await ctx.state.set("conf", input["key"], {"value": input["value"], "traceId": ctx.trace_id})
