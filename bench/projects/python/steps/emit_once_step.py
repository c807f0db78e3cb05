config = {
    "name": "emit-once-python",
    "type": "api",
    "path": "/emit",
    "method": "GET",
    "emits": ["bench.emitted"],
}


async def handler(req, ctx):
    # One durable emit (nothing subscribes): the bench compares this route with /hello.
    await ctx.emit({"topic": "bench.emitted", "data": {"n": 1}})
    return {"status": 200, "body": {"message": "emitted", "ok": True}}
