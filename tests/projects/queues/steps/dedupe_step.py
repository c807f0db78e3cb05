config = {"name": "q-dedupe", "type": "event", "subscribes": ["q.dedupe"], "emits": ["q.after"]}


async def handler(data, ctx):
    await ctx.emit({"topic": "q.after", "data": data})
    if ctx.attempt == 1:
        raise RuntimeError("fails after emitting: the retry emits again")
    await ctx.state.set("dedupe-retried", data["id"], ctx.attempt)
