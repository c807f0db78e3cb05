# Counts deliveries per id: an idempotent emit retried must leave the count at 1.
config = {
    "name": "ingress-once",
    "type": "event",
    "subscribes": ["ingress.once"],
    "emits": [],
    "flows": ["ingress"],
}


async def handler(data, ctx):
    count = await ctx.state.get("ingress-once", data["id"]) or 0
    await ctx.state.set("ingress-once", data["id"], count + 1)
