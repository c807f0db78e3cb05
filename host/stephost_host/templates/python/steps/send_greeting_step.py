# Makes the greeting, keeps it in state and on the greetings stream, and says it was sent.
import os

config = {
    "name": "send-greeting",
    "type": "event",
    "subscribes": ["greeting.requested"],
    "input": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    "emits": ["greeting.sent"],
    "flows": ["greetings"],
}


async def handler(data, ctx):
    name = data["name"]
    message = f"{os.environ.get('GREETING', 'Hello')}, {name}!"
    await ctx.state.set("greetings", name, {"message": message})
    await ctx.streams.greetings.set("all", name, {"name": name, "message": message})
    await ctx.emit({"topic": "greeting.sent", "data": {"name": name, "message": message}})
