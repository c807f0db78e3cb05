config = {"name": "bad-cron", "type": "cron", "cron": "every tuesday", "emits": []}


async def handler(ctx):
    pass
