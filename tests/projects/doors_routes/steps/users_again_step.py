# The same route as users_step.py, with another parameter name: refused at registration.
config = {"name": "user-again", "type": "api", "path": "/users/:uid", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"step": "user-again"}}
