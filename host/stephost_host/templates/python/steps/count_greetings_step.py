# Once an hour, logs how many greetings were sent so far.
config = {"name": "count-greetings", "type": "cron", "cron": "0 * * * *", "emits": [], "flows": ["greetings"]}


async def handler(ctx):
    greetings = await ctx.state.get_group("greetings")
    ctx.logger.info("greetings so far", {"count": len(greetings)})
