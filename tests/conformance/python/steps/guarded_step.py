async def auth(req, ctx, next_fn):
    if req["headers"].get("x-token") != "ok":
        return {"status": 401, "body": {"error": "no token"}}
    req["user"] = "ok-user"
    return await next_fn()


async def stamp(req, ctx, next_fn):
    response = await next_fn()
    response.setdefault("headers", {})["x-mw"] = "stamped"
    return response


config = {
    "name": "conf-guarded",
    "type": "api",
    "path": "/guarded",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
    "middleware": [auth, stamp],
}


async def handler(req, ctx):
    return {"status": 200, "body": {"user": req["user"]}}
