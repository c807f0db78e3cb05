config = {"name": "bad-method", "type": "api", "path": "/m", "method": "FETCH", "emits": []}


async def handler(req, ctx):
    return {"status": 200}
