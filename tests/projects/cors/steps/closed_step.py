# The project allows the page's origin; this step opts out.
config = {
    "name": "cors-closed",
    "type": "api",
    "path": "/closed",
    "method": "GET",
    "emits": [],
    "cors": False,
}


async def handler(req, ctx):
    return {"status": 200, "body": {"closed": "but readable only from its own origin"}}
