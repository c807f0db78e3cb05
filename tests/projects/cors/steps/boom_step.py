# A handler that fails: the host's 500 must still be readable by an allowed page.
config = {"name": "cors-boom", "type": "api", "path": "/boom", "method": "GET", "emits": []}


async def handler(req, ctx):
    raise RuntimeError("boom")
