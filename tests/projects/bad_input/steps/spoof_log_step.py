# Logs fields named like the keys the host writes, trying to pass as another step and trace.
config = {"name": "spoof-log", "type": "api", "path": "/spoof-log", "method": "GET", "emits": []}


async def handler(req, ctx):
    ctx.logger.info(
        "spoof attempt",
        {"level": "hacked", "step": "NotMe", "trace_id": "fake", "msg": "other", "time": 0, "user": "u1"},
    )
    return {"status": 200, "body": {"ok": True}}
