import asyncio

config = {
    "name": "do-work",
    "type": "event",
    "subscribes": ["work.start"],
    "emits": [],
    "infrastructure": {"queue": {"maxRetries": 5}, "handler": {"timeout": 60}},
}


async def handler(job, ctx):
    # Mark the attempt as started first, so a test can kill the sidecar mid-handler.
    await ctx.state.set("started", job["id"], {"attempt": ctx.attempt})
    if ctx.attempt == 1:  # only the first attempt is slow: the one a test interrupts
        await asyncio.sleep(job.get("seconds", 0))
    await ctx.state.set("work", job["id"], {"done": True, "attempt": ctx.attempt})
    ctx.logger.info("work done", {"id": job["id"]})
