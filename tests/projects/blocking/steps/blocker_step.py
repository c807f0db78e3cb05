# An async handler that blocks its event loop (time.sleep instead of await asyncio.sleep).
import time

config = {"name": "blocker", "type": "api", "path": "/block", "method": "GET"}


async def handler(req, ctx):
    time.sleep(float(req["queryParams"].get("seconds", "1")))  # noqa: ASYNC251 -- the point of this step
    return {"status": 200, "body": {"slept": True}}
