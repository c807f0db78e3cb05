config = {"name": "clash-other", "type": "api", "path": "/other", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"other": True}}
