config = {"name": "submit", "type": "api", "path": "/submit", "method": "POST", "emits": ["job.submitted"]}


async def handler(req, ctx):
    await ctx.emit({"topic": "job.submitted", "data": req["body"]})
    return {"status": 202, "body": {"id": req["body"]["id"]}}
