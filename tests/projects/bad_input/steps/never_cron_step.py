# February 30 never comes: the host refuses this step at registration.
config = {"name": "never", "type": "cron", "cron": "0 0 30 2 *", "emits": []}


async def handler(ctx):
    pass
