config = {"name": "hop2", "type": "event", "subscribes": ["bench.hop2"], "emits": []}


async def handler(data, ctx):
    # The end of the chain: the bench counts this step's acknowledgements.
    return None
