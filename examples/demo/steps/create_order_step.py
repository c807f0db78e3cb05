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
    "responseSchema": {
        201: {
            "type": "object",
            "properties": {"id": {"type": "string"}, "status": {"const": "created"}},
            "required": ["id", "status"],
        },
        400: {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    },
}


async def handler(req, ctx):
    # The bodySchema's rules, checked here too: the host checks them only with validate_schemas on.
    # JSON Schema's integers include 2.0, which arrives here as a float.
    body = req.get("body")
    quantity = body.get("quantity") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("item"), str)
        or not isinstance(quantity, int | float)
        or isinstance(quantity, bool)
        or quantity != int(quantity)
        or quantity < 1
    ):
        return {"status": 400, "body": {"error": "expected {item: string, quantity: integer >= 1}"}}
    order = {
        "id": uuid.uuid4().hex[:8],
        "item": body["item"],
        "quantity": int(quantity),
        "status": "created",
        "traces": [ctx.trace_id],
    }
    await ctx.state.set("orders", order["id"], order)
    await ctx.emit({"topic": "order.created", "data": order})
    ctx.logger.info("order accepted", {"orderId": order["id"]})
    return {"status": 201, "body": {"id": order["id"], "status": "created"}}
