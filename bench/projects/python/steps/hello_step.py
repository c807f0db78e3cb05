config = {"name": "hello-python", "type": "api", "path": "/hello", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"message": "hello", "ok": True}}
