config = {"name": "q-heal", "type": "api", "path": "/heal/:id", "method": "POST", "emits": []}


async def handler(req, ctx):
    await ctx.state.set("heal", req["pathParams"]["id"], True)
    return {"status": 200, "body": {"healed": req["pathParams"]["id"]}}
