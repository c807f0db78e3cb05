# The one Python subscriber `make bench` emits into through the gRPC ingress.
config = {"name": "sink", "type": "event", "subscribes": ["bench.sink"], "emits": []}


async def handler(data, ctx):
    return None
