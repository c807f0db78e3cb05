import hashlib
import hmac

config = {
    "name": "conf-github",
    "type": "api",
    "path": "/github",
    "method": "POST",
    "emits": [],
    "flows": ["conformance"],
}

SECRET = b"conf-secret"


async def handler(req, ctx):
    expected = "sha256=" + hmac.new(SECRET, req["rawBody"], hashlib.sha256).hexdigest()
    given = req["headers"].get("x-hub-signature-256", "")
    if not hmac.compare_digest(expected, given):
        return {"status": 401, "body": {"error": "bad signature"}}
    return {"status": 200, "body": {"ok": True, "action": req["body"]["action"]}}
