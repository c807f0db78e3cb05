config = {"name": "fuzz-py-query", "type": "api", "path": "/fuzz/py", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"language": "python", "query": req["queryParams"]}}
