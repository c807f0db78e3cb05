config = {"type": "api", "name": "deploy-added", "method": "GET", "path": "/added"}


async def handler(req, ctx):
    return {"status": 200, "body": {"added": True}}
