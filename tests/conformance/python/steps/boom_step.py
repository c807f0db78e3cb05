config = {
    "name": "conf-boom",
    "type": "api",
    "path": "/boom",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    raise RuntimeError("boom")
