config = {"name": "typos-path", "type": "api", "path": 12}


async def handler(req, ctx):
    return {"status": 200, "body": {}}
