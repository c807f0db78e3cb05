config = {"name": "typos-ok-py", "type": "api", "path": "/ok-py", "method": "GET", "middleware": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"ok": "python"}}
