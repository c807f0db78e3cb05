config = {"name": "ok", "type": "api", "path": "/ok", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"ok": True}}
