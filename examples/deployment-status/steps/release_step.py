# The last hop is Python: the same stream, shared across languages.
config = {
    "name": "release",
    "type": "event",
    "subscribes": ["deploy.built"],
    "emits": [],
    "flows": ["deployments"],
}


async def handler(event, ctx):
    stream = ctx.streams["deployment-status"]
    for status in ("deploying", "live"):
        current = await stream.get("deployments", event["id"])
        current.pop("id", None)
        current.update(status=status, history=[*current["history"], status])
        await stream.set("deployments", event["id"], current)
