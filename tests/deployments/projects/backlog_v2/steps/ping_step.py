config = {"type": "api", "name": "backlog-ping", "method": "GET", "path": "/ping"}


async def handler(req, ctx):
    # v2 has no collector: its queue consumer is paused, not deleted.
    return {"status": 200, "body": {"collector": False}}
