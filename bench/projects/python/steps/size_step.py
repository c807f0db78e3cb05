# How big the JSON body it got is: the `bodies` section posts big ones here.
config = {"name": "size-python", "type": "api", "path": "/size", "method": "POST", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"size": len(req["body"]["data"])}}
