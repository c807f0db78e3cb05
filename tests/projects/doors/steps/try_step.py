# Makes one call into the host over the sidecar link, exactly as the body says, and
# answers with what came back: the result, or the error type and message a handler
# sees (HostCallError). It talks to the link channel under ctx directly, so arguments
# the SDK would refuse before sending (an empty topic, say) still reach the host.
from stephost import HostCallError

config = {
    "name": "doors-try",
    "type": "api",
    "path": "/try",
    "method": "POST",
    "emits": ["doors.fifo", "doors.plain", "doors.typed"],
    "flows": ["doors"],
}


def _data(body, field="data"):
    if body.get("nan"):
        return float("nan")  # the sidecar writes it as the bare token NaN
    if "size" in body:
        return "x" * body["size"]  # a JSON string of size + 2 bytes
    return body.get(field)


async def handler(req, ctx):
    body = req["body"]
    channel, invocation = ctx._channel, ctx._invocation_id
    call = body["call"]
    try:
        if call == "emit":
            result = await channel.emit(invocation, body["topic"], _data(body), body.get("group"))
        elif call == "state":
            result = await channel.state(
                invocation, body["op"], body["group"], body.get("key", ""), _data(body, "value")
            )
        else:
            result = await channel.stream(
                invocation, body["op"], body["stream"], body["group_id"], body.get("id", ""), _data(body)
            )
    except HostCallError as exc:
        return {"status": 200, "body": {"type": exc.type, "message": str(exc)}}
    return {"status": 200, "body": {"ok": result}}
