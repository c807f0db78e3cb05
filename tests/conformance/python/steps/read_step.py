config = {
    "name": "conf-read",
    "type": "api",
    "path": "/state/:group/:key",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
}


def handler(req, ctx):
    # A plain `def` handler: runs on a worker thread, context calls block.
    value = ctx.state.get(req["pathParams"]["group"], req["pathParams"]["key"])
    return {"status": 200, "body": value}
