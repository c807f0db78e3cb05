config = {"type": "api", "name": "backlog-ping", "method": "GET", "path": "/ping"}


async def handler(req, ctx):
    return {"status": 200, "body": {"collector": True}}
