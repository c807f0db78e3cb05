import time
import uuid

config = {
    "name": "create-order",
    "type": "api",
    "path": "/orders",
    "method": "POST",
    "emits": ["order.created"],
}


async def handler(req, ctx):
    order = {"id": uuid.uuid4().hex, "t0": time.time() * 1000, "item": (req.get("body") or {}).get("item")}
    await ctx.emit({"topic": "order.created", "data": order})
    return {"status": 201, "body": {"id": order["id"]}}
