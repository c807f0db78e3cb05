import os

from lib.greeting import greet

config = {"type": "api", "name": "agent-hello-python", "method": "GET", "path": "/agent/python"}


async def handler(req, ctx):
    # The worker's env: STEPHOST_VERSION from the agent, GREETING from the deployment.
    return {
        "status": 200,
        "body": {
            "version": os.environ.get("STEPHOST_VERSION"),
            "greeting": greet(os.environ.get("GREETING", "")),
        },
    }
