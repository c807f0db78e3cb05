# The same path with another method is a different route.
config = {"name": "user-delete", "type": "api", "path": "/users/:uid", "method": "DELETE", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"step": "user-delete"}}
