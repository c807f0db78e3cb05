import asyncio
import os
import socket

config = {
    "name": "process",
    "type": "event",
    "subscribes": ["job.submitted"],
    "emits": [],
    # Short visibility so a job whose host died comes back quickly in tests.
    "infrastructure": {"handler": {"timeout": 5}, "queue": {"maxRetries": 10, "visibilityTimeout": 6}},
}


async def handler(job, ctx):
    await asyncio.sleep(job.get("seconds", 0.05))
    by = f"{socket.gethostname()}:{os.getpid()}"
    await ctx.state.set("done", job["id"], {"id": job["id"], "by": by, "attempt": ctx.attempt})
