config = {
    "name": "conf-echo",
    "type": "api",
    "path": "/echo/:id",
    "method": "POST",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    return {
        "status": 200,
        "headers": {"x-echo": "yes"},
        "body": {
            "id": req["pathParams"]["id"],
            "body": req["body"],
            "query": req["queryParams"],
            "header": req["headers"].get("x-test"),
            "traceId": ctx.trace_id,
            "language": "python",
        },
    }
