# Answers a header that HTTP cannot carry.
config = {"name": "bad-header", "type": "api", "path": "/bad-header/:kind", "method": "GET", "emits": []}

HEADERS = {
    "not-latin1": {"x-name": "check \u2713"},
    "crlf-value": {"x-note": "a\r\nset-cookie: session=stolen"},
    "crlf-name": {"x-note\r\nset-cookie": "session=stolen"},
}


async def handler(req, ctx):
    return {"status": 200, "body": {"ok": True}, "headers": HEADERS[req["pathParams"]["kind"]]}
