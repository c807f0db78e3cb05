"""Protocol 2 sends an api request's JSON body once, as ``Invocation.raw_body``; a host still
serves sidecars of protocol 1 (the previous release, upgraded after the host), which get the
body in the payload as before. Other versions are turned away naming the range."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from stephost_host.link.session import Session
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from stephost_wire.v1 import sidecar_pb2_grpc as pb_grpc
from tests.harness import ROOT

BODY = '{ "order" : 7, "items": ["é", 12345678901234567890] }'


async def _no_calls(*_: Any) -> Any:
    raise AssertionError("no call expected")


def sent_payloads(protocol: int, body_in_raw: bool) -> list[dict[str, Any]]:
    """The payload a session of this protocol puts on the wire for one api request."""
    hello = pb.Hello(protocol_version=protocol, language="python", sidecar_id="s", capacity=1)
    session = Session(hello, "test", _no_calls)
    request = (
        {"method": "POST", "bodyKind": "json"} if body_in_raw else {"method": "POST", "bodyKind": "empty"}
    )

    async def send() -> list[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + 60
        session.invoke(
            "p", "t", json.dumps(request), 1, deadline, raw_body=BODY.encode(), body_in_raw=body_in_raw
        )
        session.out.put_nowait(None)
        frames = [frame async for frame in session.outgoing()]
        return [
            json.loads(m.invocation.payload_json) for f in frames for m in pb.HostBatch.FromString(f).messages
        ]

    return asyncio.run(send())


def test_a_protocol_1_session_gets_the_json_body_in_the_payload_and_protocol_2_does_not() -> None:
    assert sent_payloads(2, body_in_raw=True) == [{"method": "POST", "bodyKind": "json"}]
    assert sent_payloads(1, body_in_raw=True) == [
        {"method": "POST", "bodyKind": "json", "body": json.loads(BODY)}
    ]
    # A request whose body is not in the raw bytes is sent as built, whatever the protocol.
    assert sent_payloads(1, body_in_raw=False) == [{"method": "POST", "bodyKind": "empty"}]


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
