import os

config = {"type": "api", "name": "which", "method": "GET", "path": "/which", "flows": ["versions"]}


async def handler(req, ctx):
    # The same file runs in every version; the sidecar's STEPHOST_VERSION tells them apart.
    return {"status": 200, "body": {"version": os.environ.get("STEPHOST_VERSION") or "fs"}}
