import os

config = {
    "name": "conf-incr",
    "type": "api",
    "path": "/incr/:key",
    "method": "POST",
    "emits": [],
    # 1,000 updates against a second replica's: room for a loaded CI machine.
    "infrastructure": {"handler": {"timeout": 120}},
    "flows": ["conformance"],
}


def handler(req, ctx):
    # A plain `def` handler: update blocks this worker thread until the write is in.
    n = int(req["queryParams"].get("n") or 1)
    last = None
    for _ in range(n):
        last = ctx.state.update("conf-incr", req["pathParams"]["key"], lambda old: (old or 0) + 1)
    return {"status": 200, "body": {"last": last, "replica": os.getpid()}}
