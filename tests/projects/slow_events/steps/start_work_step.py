config = {"name": "start-work", "type": "api", "path": "/work", "method": "POST", "emits": ["work.start"]}


async def handler(req, ctx):
    await ctx.emit({"topic": "work.start", "data": req["body"]})
    return {"status": 202, "body": {"accepted": req["body"]["id"]}}
