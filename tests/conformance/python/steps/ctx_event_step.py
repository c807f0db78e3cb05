config = {
    "name": "conf-ctx-event",
    "type": "event",
    "subscribes": ["conf.ctx"],
    "emits": [],
    "flows": ["conformance", "ctx"],
}


async def handler(input, ctx):
    child = ctx.logger.child({"probe": "event"})
    child.info("ctx probe", {"lang": "python"})
    fields = {
        "step": ctx.step,
        "topic": ctx.topic,
        "traceId": ctx.trace_id,
        "attempt": ctx.attempt,
        "flows": ctx.flows,
    }
    await ctx.state.set("conf-ctx", "event", fields)
