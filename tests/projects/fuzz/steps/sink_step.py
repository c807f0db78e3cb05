# Consumes what the ingress fuzz emits, so its events take the whole path (queue -> sidecar).
config = {"name": "fuzz-sink", "type": "event", "subscribes": ["fuzz.event"], "emits": []}


async def handler(data, ctx):
    ctx.logger.info("fuzz event", {"kind": type(data).__name__})
