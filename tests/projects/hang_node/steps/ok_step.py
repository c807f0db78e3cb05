config = {"name": "ok-py", "type": "api", "path": "/ok", "method": "GET"}


async def handler(req, ctx):
    return {"status": 200, "body": {"language": "python"}}
