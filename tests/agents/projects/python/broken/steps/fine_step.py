config = {"type": "event", "name": "agent-fine-python", "subscribes": ["agent.fine"]}


async def handler(input, ctx):
    return None
