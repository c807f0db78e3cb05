from stephost import HostCallError

config = {
    "name": "val-py-emit",
    "type": "api",
    "path": "/py/emit",
    "method": "POST",
    "emits": ["val.ts", "val.py", "val.rb"],
    "flows": ["validation"],
}


async def handler(req, ctx):
    try:
        await ctx.emit({"topic": req["body"]["topic"], "data": req["body"]["data"]})
    except HostCallError as exc:
        return {"status": 200, "body": {"error": str(exc)}}
    return {"status": 200, "body": {"ok": True}}
