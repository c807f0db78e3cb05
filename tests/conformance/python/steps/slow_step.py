import asyncio

config = {
    "name": "conf-slow",
    "type": "api",
    "path": "/slow",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
    "infrastructure": {"handler": {"timeout": 1}},
}


async def handler(req, ctx):
    await asyncio.sleep(5)
    return {"status": 200, "body": {"slept": 5}}
