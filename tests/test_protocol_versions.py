"""Protocol 2 sends an api request's JSON body once, as ``Invocation.raw_body``, and a multipart
upload's files as ranges of it; a host still serves sidecars of protocol 1 (the previous release,
upgraded after the host), which get the body in the payload and the files copied as before.
Other versions are turned away naming the range."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from stephost_host.link.raw_body import RawBody
from stephost_host.link.session import Session
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from stephost_wire.v1 import sidecar_pb2_grpc as pb_grpc
from tests.harness import ROOT

BODY = '{ "order" : 7, "items": ["é", 12345678901234567890] }'


async def _no_calls(*_: Any) -> Any:
    raise AssertionError("no call expected")


def sent(protocol: int, request: dict[str, Any], raw: RawBody) -> pb.Invocation:
    """The invocation a session of this protocol puts on the wire for one api request."""
    hello = pb.Hello(protocol_version=protocol, language="python", sidecar_id="s", capacity=1)
    session = Session(hello, "test", _no_calls)

    async def send() -> list[pb.Invocation]:
        deadline = asyncio.get_running_loop().time() + 60
        session.invoke("p", "t", json.dumps(request), 1, deadline, raw=raw)
        session.out.put_nowait(None)
        frames = [frame async for frame in session.outgoing()]
        return [m.invocation for f in frames for m in pb.HostBatch.FromString(f).messages]

    [invocation] = asyncio.run(send())
    return invocation


def sent_payload(protocol: int, body_in_raw: bool) -> dict[str, Any]:
    request = {"method": "POST", "bodyKind": "json" if body_in_raw else "empty"}
    invocation = sent(protocol, request, RawBody(BODY.encode(), json_in_raw=body_in_raw))
    assert invocation.raw_body == BODY.encode()
    result: dict[str, Any] = json.loads(invocation.payload_json)
    return result


def test_a_protocol_1_session_gets_the_json_body_in_the_payload_and_protocol_2_does_not() -> None:
    assert sent_payload(2, body_in_raw=True) == {"method": "POST", "bodyKind": "json"}
    assert sent_payload(1, body_in_raw=True) == {
        "method": "POST",
        "bodyKind": "json",
        "body": json.loads(BODY),
    }
    # A request whose body is not in the raw bytes is sent as built, whatever the protocol.
    assert sent_payload(1, body_in_raw=False) == {"method": "POST", "bodyKind": "empty"}


def test_a_protocol_1_session_gets_copies_of_the_files_and_protocol_2_their_ranges() -> None:
    data = b"--b\r\n...ONE...TWO--"
    raw = RawBody(data, file_ranges=[(8, 11), (14, 17)])
    request = {"method": "POST", "bodyKind": "multipart"}
    v2 = sent(2, request, raw)
    assert not v2.files and [(r.start, r.end) for r in v2.file_ranges] == [(8, 11), (14, 17)]
    v1 = sent(1, request, raw)
    assert list(v1.files) == [b"ONE", b"TWO"] and not v1.file_ranges
    assert v1.raw_body == v2.raw_body == data
    # Copies (a body the parser could not place in the raw bytes) go as they are, to both.
    copied = RawBody(data, files=[b"x"])
    assert [list(sent(p, request, copied).files) for p in (1, 2)] == [[b"x"], [b"x"]]


def hello(protocol: int, secret: str) -> pb.Hello:
    config = json.dumps({"type": "api", "name": "old", "path": "/old", "method": "POST"})
    return pb.Hello(
        protocol_version=protocol,
        language="python",
        sidecar_id=f"proto-{protocol}",
        capacity=1,
        secret=secret,
        steps=[pb.StepManifest(name="old", file="steps/old_step.py", config_json=config)],
    )


@pytest.mark.parametrize("protocol", [0, codec.PROTOCOL_VERSION + 1])
def test_a_protocol_the_host_does_not_speak_is_rejected_naming_the_range(
    start_host: Any, protocol: int
) -> None:
    host = start_host(ROOT / "tests" / "projects" / "clash", live_steps=2)
    first = pb.SidecarBatch(messages=[pb.SidecarMessage(hello=hello(protocol, host.secret))])
    with grpc.insecure_channel(host.sidecar_address) as channel:
        answer = next(iter(pb_grpc.SidecarHostStub(channel).Connect(iter([first]), timeout=10)))
    rejection = answer.messages[0].rejection
    assert rejection.code == "protocol_version"
    assert rejection.message == (
        f"this host speaks protocol versions 1 to {codec.PROTOCOL_VERSION}, the sidecar {protocol}; "
        "upgrade the older side"
    )


def test_a_protocol_1_sidecar_is_served_and_reads_the_body_in_the_payload(
    start_host: Any, tmp_path: Path
) -> None:
    """The previous release's sidecar, as it speaks on the wire: welcomed, and an api request
    with a JSON body reaches it with the body in the payload and the exact bytes beside."""
    host = start_host(ROOT / "tests" / "projects" / "clash", live_steps=2)

    async def scene() -> tuple[dict[str, Any], bytes, httpx.Response]:
        outgoing: asyncio.Queue[pb.SidecarBatch] = asyncio.Queue()
        outgoing.put_nowait(pb.SidecarBatch(messages=[pb.SidecarMessage(hello=hello(1, host.secret))]))

        async def batches() -> AsyncIterator[pb.SidecarBatch]:
            while True:
                yield await outgoing.get()

        async with grpc.aio.insecure_channel(host.sidecar_address) as channel:
            stream = pb_grpc.SidecarHostStub(channel).Connect(batches())
            welcome = (await stream.read()).messages[0]
            assert welcome.WhichOneof("kind") == "welcome" and not welcome.welcome.rejected_steps
            assert welcome.welcome.protocol_version == 1  # what this session speaks, not the host's newest
            async with httpx.AsyncClient(base_url=host.url, timeout=30) as client:
                request = asyncio.create_task(
                    client.post("/old", content=BODY.encode(), headers={"content-type": "application/json"})
                )
                inv = None
                while inv is None:  # heartbeats may come first
                    for msg in (await asyncio.wait_for(stream.read(), 30)).messages:
                        if msg.WhichOneof("kind") == "invocation":
                            inv = msg.invocation
                result = pb.InvocationResult(
                    invocation_id=inv.invocation_id,
                    result_json=json.dumps({"status": 200, "body": {"ok": 1}}),
                )
                outgoing.put_nowait(pb.SidecarBatch(messages=[pb.SidecarMessage(result=result)]))
                response = await request
            stream.cancel()
        return json.loads(inv.payload_json), inv.raw_body, response

    payload, raw, response = asyncio.run(scene())
    assert payload["bodyKind"] == "json" and payload["body"] == json.loads(BODY)
    assert raw == BODY.encode()
    assert (response.status_code, response.json()) == (200, {"ok": 1})
