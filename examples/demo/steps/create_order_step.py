import uuid

config = {
    "name": "create-order",
    "type": "api",
    "path": "/orders",
    "method": "POST",
    "description": "Accepts an order and hands it to the flow",
    "emits": ["order.created"],
    "flows": ["orders"],
    "bodySchema": {
        "type": "object",
        "properties": {"item": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
        "required": ["item", "quantity"],
    },
}


async def handler(req, ctx):
    body = req.get("body") or {}
    if not isinstance(body.get("item"), str) or not isinstance(body.get("quantity"), int):
        return {"status": 400, "body": {"error": "expected {item: string, quantity: integer}"}}
    order = {
        "id": uuid.uuid4().hex[:8],
        "item": body["item"],
        "quantity": body["quantity"],
        "status": "created",
        "traces": [ctx.trace_id],
    }
    await ctx.state.set("orders", order["id"], order)
    await ctx.emit({"topic": "order.created", "data": order})
    ctx.logger.info("order accepted", {"orderId": order["id"]})
    return {"status": 201, "body": {"id": order["id"], "status": "created"}}
