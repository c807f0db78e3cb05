import os

raise RuntimeError("this version cannot start: a missing setting")

config = {"type": "api", "name": "deploy-hello", "method": "GET", "path": "/hello"}


async def handler(req, ctx):
    return {"status": 200, "body": {"v": 0, "version": os.environ.get("STEPHOST_VERSION")}}
