# Answers with what the handler sees of its own span (tests/test_traceparent.py).
config = {"name": "tp-python", "type": "api", "path": "/tp/python", "method": "GET"}


async def handler(req, ctx):
    return {"status": 200, "body": {"traceparent": ctx.traceparent, "traceId": ctx.trace_id}}
