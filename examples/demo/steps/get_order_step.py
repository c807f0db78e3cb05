config = {
    "name": "get-order",
    "type": "api",
    "path": "/orders/:id",
    "method": "GET",
    "description": "An order and how far the flow has taken it",
    "emits": [],
    "flows": ["orders"],
    "responseSchema": {
        200: {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "item": {"type": "string"},
                "quantity": {"type": "integer"},
                "status": {"enum": ["created", "reserved", "notified"]},
                "traces": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["id", "item", "quantity", "status", "traces"],
        },
        404: {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    },
}

# Each step of the flow keeps its own record of an order (see reserve-stock), so the
# status is the furthest step that has one; no step's write can undo another's.


async def handler(req, ctx):
    order_id = req["pathParams"]["id"]
    order = await ctx.state.get("orders", order_id)
    if order is None:
        return {"status": 404, "body": {"error": "no such order"}}
    traces = list(order.get("traces", []))
    for status, group in (("reserved", "reservations"), ("notified", "notifications")):
        done = await ctx.state.get(group, order_id)
        if done is None:
            break
        order["status"] = status
        traces.append(done["trace"])
    return {"status": 200, "body": dict(order, traces=traces)}
