# Answers a number that JSON cannot carry: float("nan"), float("inf") or float("-inf").
config = {"name": "not-json", "type": "api", "path": "/not-json/:value", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"value": float(req["pathParams"]["value"])}}
