import os

config = {"type": "api", "name": "deploy-hello", "method": "GET", "path": "/hello"}


async def handler(req, ctx):
    # STEPHOST_VERSION comes from the agent, GREETING from the deployment's env.
    return {
        "status": 200,
        "body": {
            "v": 0,
            "version": os.environ.get("STEPHOST_VERSION"),
            "greeting": os.environ.get("GREETING", ""),
        },
    }
