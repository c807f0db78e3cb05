config = {"name": "fuzz-py-echo", "type": "api", "path": "/fuzz/py/:id", "method": "POST", "emits": []}


async def handler(req, ctx):
    return {
        "status": 200,
        "body": {
            "language": "python",
            "id": req["pathParams"]["id"],
            "body": req["body"],
            "query": req["queryParams"],
            "headers": len(req["headers"]),
        },
    }
