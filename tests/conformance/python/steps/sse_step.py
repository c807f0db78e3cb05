import asyncio

config = {
    "name": "conf-sse",
    "type": "api",
    "path": "/sse",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    query = req["queryParams"]
    n, delay, sid = int(query.get("n", "5")), float(query.get("delay", "0.2")), query.get("id")

    async def events():
        finished = False
        try:
            for i in range(1, n + 1):
                yield f"data: {i}\n\n"
                if i < n:
                    await asyncio.sleep(delay)
            finished = True
        finally:
            if not finished and sid:  # the client went away: the host cancelled us
                await ctx.state.set("conf-sse", "cancelled-" + sid, True)

    return {"status": 200, "headers": {"content-type": "text/event-stream"}, "body": events()}
