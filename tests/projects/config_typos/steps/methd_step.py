config = {"name": "typos-methd", "type": "api", "path": "/methd", "methd": "POST"}


async def handler(req, ctx):
    return {"status": 200, "body": {}}
