config = {
    "name": "conf-doomed",
    "type": "event",
    "subscribes": ["conf.doomed"],
    "emits": [],
    "flows": ["conformance"],
    "infrastructure": {"queue": {"maxRetries": 1}},
}


async def handler(input, ctx):
    raise ValueError("doomed: " + input["id"])
