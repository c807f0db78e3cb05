import asyncio
import os

config = {"type": "api", "name": "deploy-slow", "method": "GET", "path": "/slow"}


async def handler(req, ctx):
    await asyncio.sleep(float(req["queryParams"].get("s", "2")))
    return {"status": 200, "body": {"v": 1, "version": os.environ.get("STEPHOST_VERSION")}}
