# A GET a browser page fetches without a preflight.
config = {"name": "cors-py-hello", "type": "api", "path": "/py/hello", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"lang": "python", "hello": "world"}}
