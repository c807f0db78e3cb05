config = {
    "name": "conf-csv",
    "type": "api",
    "path": "/csv",
    "method": "GET",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    return {"status": 200, "headers": {"content-type": "text/csv"}, "body": "a,b\n1,2\n"}
