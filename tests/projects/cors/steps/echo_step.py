# A POST with a JSON body and a custom header: the browser asks first (a preflight).
config = {"name": "cors-py-echo", "type": "api", "path": "/py/echo", "method": "POST", "emits": []}


async def handler(req, ctx):
    body = {"lang": "python", "body": req["body"], "custom": req["headers"].get("x-custom")}
    return {"status": 200, "body": body, "headers": {"x-step": "cors-py-echo"}}
