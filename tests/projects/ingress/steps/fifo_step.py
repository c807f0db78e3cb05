# A FIFO subscriber: events on its topic need a messageGroupId, from ingress as from steps.
config = {
    "name": "ingress-fifo",
    "type": "event",
    "subscribes": ["ingress.fifo"],
    "emits": [],
    "flows": ["ingress"],
    "infrastructure": {"queue": {"type": "fifo"}},
}


async def handler(data, ctx):
    await ctx.state.set("ingress-fifo", data["id"], {"group": data["group"]})
