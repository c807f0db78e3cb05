# Answers how big the body it was handed is (a JSON string's length), not the body itself.
config = {"name": "size", "type": "api", "path": "/size", "method": "POST", "emits": []}


async def handler(req, ctx):
    body = req["body"]
    return {"status": 200, "body": {"size": len(body) if isinstance(body, str) else 0}}
