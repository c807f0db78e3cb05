config = {"type": "event", "name": "deploy-gone", "subscribes": ["deploy.ping"]}


async def handler(data, ctx):
    ctx.logger.info("ping", {"data": data})
