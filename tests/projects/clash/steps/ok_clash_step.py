# Claims the name "ok", which tests/projects/bad_configs registers from another project.
config = {"name": "ok", "type": "api", "path": "/ok-clash", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"clash": True}}
