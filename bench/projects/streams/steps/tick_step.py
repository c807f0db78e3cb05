import time

config = {"name": "tick", "type": "api", "path": "/tick/:group/:id", "method": "POST", "emits": []}


async def handler(req, ctx):
    p = req["pathParams"]
    # sentAt is taken just before set(): the bench measures set() -> WebSocket receipt.
    await ctx.streams.ticker.set(p["group"], p["id"], {"sentAt": time.time()})
    return {"status": 204, "body": None}
