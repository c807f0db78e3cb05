import asyncio

# Removed by v2. It holds every event far longer than the test runs (under its own timeout, so
# nothing is dead-lettered), so its consumer has a backlog the v2 plan must count.
config = {
    "type": "event",
    "name": "tri-audit",
    "subscribes": ["tri.start"],
    "infrastructure": {"handler": {"timeout": 900}},
}


async def handler(data, ctx):
    await asyncio.sleep(600)
