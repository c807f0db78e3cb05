import hashlib
import hmac
import json

config = {
    "name": "conf-slack",
    "type": "api",
    "path": "/slack",
    "method": "POST",
    "emits": [],
    "flows": ["conformance"],
}

SECRET = b"conf-secret"


async def handler(req, ctx):
    timestamp = req["headers"].get("x-slack-request-timestamp", "")
    base = b"v0:" + timestamp.encode() + b":" + req["rawBody"]
    expected = "v0=" + hmac.new(SECRET, base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, req["headers"].get("x-slack-signature", "")):
        return {"status": 401, "body": {"error": "bad signature"}}
    return {"status": 200, "body": {"ok": True, "payload": json.loads(req["body"]["payload"])}}
