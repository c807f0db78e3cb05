config = {"type": "event", "name": "agent-broken-python", "subscribes": ["agent.broken"]}

raise RuntimeError("this step cannot be imported")


async def handler(input, ctx):
    return None
