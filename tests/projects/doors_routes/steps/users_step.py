config = {"name": "user", "type": "api", "path": "/users/:id", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"step": "user", "id": req["pathParams"]["id"]}}
