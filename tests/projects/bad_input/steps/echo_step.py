config = {"name": "echo", "type": "api", "path": "/echo", "method": "POST", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": req["body"]}
