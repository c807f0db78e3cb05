config = {"name": "ping", "type": "api", "path": "/ping", "method": "GET"}


async def handler(req, ctx):
    return {"status": 200, "body": {"pong": True}}
