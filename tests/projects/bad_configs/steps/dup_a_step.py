config = {"name": "dup", "type": "api", "path": "/dup-a", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": "a"}
