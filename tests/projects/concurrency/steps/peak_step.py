import asyncio

config = {"name": "peak", "type": "api", "path": "/peak", "method": "GET", "emits": []}
running = 0
peak = 0


async def handler(req, ctx):
    # Counts how many invocations this sidecar runs at once.
    global running, peak
    running += 1
    peak = max(peak, running)
    await asyncio.sleep(0.5)
    running -= 1
    return {"status": 200, "body": {"peak": peak}}
