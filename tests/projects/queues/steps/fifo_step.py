import asyncio
import random

config = {
    "name": "q-fifo",
    "type": "event",
    "subscribes": ["q.fifo"],
    "emits": [],
    "infrastructure": {"queue": {"type": "fifo", "maxRetries": 2}},
}
running: dict[str, int] = {}


async def handler(data, ctx):
    group = data["group"]
    running[group] = running.get(group, 0) + 1
    try:
        busy_groups = sum(1 for n in running.values() if n)
        if running[group] > 1:
            await ctx.state.set("fifo-violations", f"{group}-{data['seq']}", running[group])
        # Long enough that other groups' events, dispatched meanwhile, run beside this one even
        # on a loaded machine; counted again after it, when they have had time to start.
        await asyncio.sleep(random.uniform(0.02, 0.06))
        busy_groups = max(busy_groups, sum(1 for n in running.values() if n))
        if data.get("failOnce") and ctx.attempt == 1:
            raise RuntimeError("fails once; must be retried before the next event of its group")
        seen = await ctx.state.get("fifo", group) or []
        await ctx.state.set("fifo", group, [*seen, data["seq"]])
        peak = await ctx.state.get("fifo-peak", "groups") or 0
        if busy_groups > peak:
            await ctx.state.set("fifo-peak", "groups", busy_groups)
    finally:
        running[group] -= 1
