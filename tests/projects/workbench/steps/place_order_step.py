# The Workbench's mixed-language flow: Python api -> TypeScript event -> Ruby event.
config = {
    "name": "place-order",
    "type": "api",
    "path": "/shop/orders",
    "method": "POST",
    "description": "Takes an order and hands it to the checks",
    "emits": ["shop.order.placed"],
    "virtualEmits": [{"topic": "shop.audit", "label": "audited later"}],
    "flows": ["shop"],
    "bodySchema": {
        "type": "object",
        "properties": {"item": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
        "required": ["item", "quantity"],
    },
}


async def handler(req, ctx):
    body = req["body"] or {}
    order_id = f"{body.get('item', 'x')}-{body.get('quantity', 0)}"
    ctx.logger.info("order placed", {"orderId": order_id})
    await ctx.state.set("orders", order_id, {"status": "placed", **body})
    await ctx.emit({"topic": "shop.order.placed", "data": {"id": order_id}})
    return {"status": 201, "body": {"id": order_id}}
