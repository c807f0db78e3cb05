config = {
    "name": "conf-ctx",
    "type": "api",
    "path": "/ctx",
    "method": "GET",
    "emits": ["conf.ctx"],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    child = ctx.logger.child({"probe": "api"})
    child.info("ctx probe", {"lang": "python"})
    await ctx.emit({"topic": "conf.ctx", "data": {}})
    return {
        "status": 200,
        "body": {
            "step": ctx.step,
            "topic": ctx.topic,
            "traceId": ctx.trace_id,
            "attempt": ctx.attempt,
            "flows": ctx.flows,
        },
    }
