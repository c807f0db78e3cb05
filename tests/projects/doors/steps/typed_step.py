# A subscriber with an input schema: with validate_schemas on, data outside it is refused
# to the emitter, through either door.
config = {
    "name": "doors-typed",
    "type": "event",
    "subscribes": ["doors.typed"],
    "input": {"type": "object", "properties": {"n": {"type": "string"}}, "required": ["n"]},
    "emits": [],
    "flows": ["doors"],
}


async def handler(data, ctx):
    await ctx.state.set("doors-typed", data["n"], data)
