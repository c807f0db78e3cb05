# Credentials (cookies) allowed for this step only; it tells which cookie came with the request.
config = {
    "name": "cors-whoami",
    "type": "api",
    "path": "/whoami",
    "method": "GET",
    "emits": [],
    "cors": {"credentials": True},
}


async def handler(req, ctx):
    return {"status": 200, "body": {"cookie": req["headers"].get("cookie")}}
