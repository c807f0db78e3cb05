# Backpressure: n chunks of 64 KiB as fast as the host takes them. The count recorded in
# state shows how far the handler got, so a test can see it wait for a client that stops reading.
config = {
    "name": "conf-flood",
    "type": "api",
    "path": "/flood",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
}

CHUNK = bytes(64 * 1024)


async def handler(req, ctx):
    query = req["queryParams"]
    sid, n = query["id"], int(query.get("n", "2000"))

    async def chunks():
        for i in range(1, n + 1):
            yield CHUNK
            if i % 10 == 0 or i == n:  # every 10 chunks: cheap, and still shows the stall
                await ctx.state.set("conf-flood", sid, i)

    return {"status": 200, "headers": {"content-type": "application/octet-stream"}, "body": chunks()}
