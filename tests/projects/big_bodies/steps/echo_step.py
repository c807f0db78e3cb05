# Hands the body straight back: big results cross the link from the sidecar to the host.
config = {"name": "echo", "type": "api", "path": "/echo", "method": "POST", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": req["body"]}
