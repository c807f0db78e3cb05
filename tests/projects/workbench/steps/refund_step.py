# Fails until state settings/heal is true: its events go to the dead letters, and a replay
# after healing succeeds.
config = {
    "name": "refund",
    "type": "event",
    "subscribes": ["shop.refund"],
    "emits": [],
    "flows": ["refunds"],
    "infrastructure": {"queue": {"maxRetries": 0}},
}


async def handler(data, ctx):
    if not await ctx.state.get("settings", "heal"):
        raise RuntimeError(f"refund {data['id']} cannot be paid yet")
    await ctx.state.set("refunds", data["id"], "paid")
