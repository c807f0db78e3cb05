config = {"name": "mixed-py-b", "type": "event", "subscribes": ["mixed.b3"], "emits": [], "flows": ["mixed"]}


def handler(data, ctx):
    # A plain `def` handler on purpose: ctx calls block and return values.
    seen = ctx.state.get("mixed", data["id"])
    ctx.state.set("mixed", data["id"], [*seen, {"lang": "python", "traceId": ctx.trace_id}])
