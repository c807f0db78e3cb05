# A streamed response (Server-Sent Events style): its headers carry CORS too.
config = {"name": "cors-ticks", "type": "api", "path": "/ticks", "method": "GET", "emits": []}


async def handler(req, ctx):
    async def ticks():
        for i in range(1, 4):
            yield f"data: {i}\n\n"

    return {"status": 200, "headers": {"content-type": "text/event-stream"}, "body": ticks()}
