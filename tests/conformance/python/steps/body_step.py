import hashlib

config = {
    "name": "conf-body",
    "type": "api",
    "path": "/body",
    "method": "POST",
    "emits": [],
    "flows": ["conformance"],
}


def kind_of(body):
    if body is None:
        return "null"
    if isinstance(body, bytes):
        return "bytes"
    if isinstance(body, str):
        return "string"
    if isinstance(body, (dict, list)):
        return "object"
    return "boolean" if isinstance(body, bool) else "number"


def render(value):
    """Bytes as {"bytes": hex}; an uploaded file as its metadata and the sha256 of its content."""
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, list):
        return [render(v) for v in value]
    if isinstance(value, dict) and "content" in value and "filename" in value:
        return {
            "filename": value["filename"],
            "contentType": value["contentType"],
            "size": value["size"],
            "sha256": hashlib.sha256(value["content"]).hexdigest(),
        }
    if isinstance(value, dict):
        return {k: render(v) for k, v in value.items()}
    return value


async def handler(req, ctx):
    raw = req["rawBody"]
    return {
        "status": 200,
        "body": {
            "kind": kind_of(req["body"]),
            "body": render(req["body"]),
            "rawSha256": hashlib.sha256(raw).hexdigest(),
            "rawLength": len(raw),
        },
    }
