import tinydep

config = {"type": "api", "name": "agent-dep-python", "method": "GET", "path": "/agent/dep"}


async def handler(req, ctx):
    return {"status": 200, "body": {"said": tinydep.SAYS}}
