# How big the file uploaded to it (multipart/form-data) is: the `bodies` section posts big ones here.
config = {"name": "upload-python", "type": "api", "path": "/upload", "method": "POST", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"size": len(req["body"]["upload"]["content"])}}
