# A FIFO subscriber: events on doors.fifo need a message group, through either door.
config = {
    "name": "doors-fifo",
    "type": "event",
    "subscribes": ["doors.fifo"],
    "emits": [],
    "flows": ["doors"],
    "infrastructure": {"queue": {"type": "fifo"}},
}


async def handler(data, ctx):
    await ctx.state.set("doors-fifo", str(data["id"]), data)
