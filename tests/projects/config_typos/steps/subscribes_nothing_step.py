# Motia accepts an event step that subscribes to nothing (e.g. one kept for the diagram).
config = {"name": "typos-subscribes-nothing", "type": "event", "subscribes": [], "emits": []}


async def handler(input, ctx):
    pass
