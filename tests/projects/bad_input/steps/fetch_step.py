config = {"name": "fetch", "type": "api", "path": "/fetch/:id", "method": "GET", "emits": []}


async def handler(req, ctx):
    ctx.logger.info("fetched", {"method": req["method"]})
    return {"status": 200, "body": {"id": req["pathParams"]["id"]}, "headers": {"x-kind": "fetch"}}
