config = {
    "name": "conf-png",
    "type": "api",
    "path": "/png",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
}

# A 1x1 PNG, the same 68 bytes in every language.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b4944415478da636000020000050001e9fadcd80000000049454e44ae426082"
)


def handler(req, ctx):
    return {"status": 200, "headers": {"content-type": "image/png"}, "body": PNG}
