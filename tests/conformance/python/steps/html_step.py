config = {
    "name": "conf-html",
    "type": "api",
    "path": "/html",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    headers = {"content-type": "text/html; charset=utf-8"}
    return {"status": 200, "headers": headers, "body": "<!doctype html><p>héllo</p>"}
