# Named `.step.py` (Motia's other spelling) on purpose: both are discovered.
config = {
    "name": "conf-state",
    "type": "api",
    "path": "/state/:group",
    "method": "POST",
    "emits": [],
    "flows": ["conformance"],
}


async def handler(req, ctx):
    g = req["pathParams"]["group"]
    key, value = req["body"]["key"], req["body"]["value"]
    r1 = await ctx.state.set(g, key, value)
    r2 = await ctx.state.get(g, key)
    r3 = await ctx.state.get_group(g)
    r4 = await ctx.state.delete(g, key)
    r5 = await ctx.state.get(g, key)
    await ctx.state.set(g, "a", 1)
    await ctx.state.set(g, "b", 2)
    await ctx.state.clear(g)
    r6 = await ctx.state.getGroup(g)
    return {
        "status": 200,
        "body": {"set": r1, "get": r2, "group": r3, "deleted": r4, "afterDelete": r5, "afterClear": r6},
    }
