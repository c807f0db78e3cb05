"""Stream reads apply the project's stream auth through every door: the WebSocket, HTTP
reads and the gRPC ingress (GetStreamItem, GetStreamGroup, SubscribeStream).

The project (tests/projects/streams) has a real auth hook (stream_auth.py: alice-token
and bob-token are users, no token is an anonymous user, anything else is refused) and
access checks written in Python (private: a user's own group), TypeScript (team-<user>)
and Ruby (crew-<user>). The ingress has its own token, which admits a caller to the
ingress but not to any stream: the stream credential travels as ``stream-auth``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from websockets.exceptions import InvalidStatus

from stephost import Client, IngressError
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import ROOT, HostProcess, NatsServer
from tests.streams_client import StreamClient

PROJECT = ROOT / "tests" / "projects" / "streams"
INGRESS_TOKEN = "ingress-secret"
STEPS = 3
# (stream, the group alice may read): one access check per sidecar language.
STREAMS = [("private", "alice"), ("team", "team-alice"), ("crew", "crew-alice")]
IDS = ["python", "typescript", "ruby"]


class Env:
    def __init__(self, tmp: Any) -> None:
        self.nats = NatsServer(tmp / "nats")
        self.host = HostProcess(
            PROJECT, tmp / "host", self.nats.url, env={"STEPHOST_INGRESS_TOKEN": INGRESS_TOKEN}
        ).wait_ready(STEPS)
        self.address = str(self.host.info["ingress"])
        self.channel = grpc.insecure_channel(self.address)
        self.stub = pb_grpc.IngressStub(self.channel)

    def put(self, stream: str, group: str, item: str) -> None:
        r = httpx.post(f"{self.host.url}/todo/{stream}/{group}/{item}", json={"title": item}, timeout=10)
        assert r.status_code == 200, r.text

    def close(self) -> None:
        self.channel.close()
        self.host.stop()
        self.nats.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(tmp_path_factory.mktemp("streams_auth"))
    for stream, group in STREAMS:
        e.put(stream, group, "note")
    yield e
    e.close()


def metadata(stream_token: str | None) -> list[tuple[str, str]]:
    md = [("authorization", f"Bearer {INGRESS_TOKEN}")]
    return md + ([("stream-auth", stream_token)] if stream_token else [])


def subscribed(call: Any) -> None:
    """Returns once the host says the subscription is in place; raises its refusal."""
    try:
        if ("stephost-subscribed", "1") not in tuple(call.initial_metadata()):
            next(call)  # refused: raises the call's status
    finally:
        call.cancel()


def ingress_reads(env: Env, stream: str, group: str, stream_token: str | None) -> list[grpc.StatusCode]:
    """The status of each ingress read of (stream, group) with this stream token."""
    md = metadata(stream_token)
    calls = [
        lambda: env.stub.GetStreamGroup(pb.GetStreamGroupRequest(stream=stream, group_id=group), metadata=md),
        lambda: env.stub.GetStreamItem(
            pb.GetStreamItemRequest(stream=stream, group_id=group, id="note"), metadata=md
        ),
        lambda: subscribed(
            env.stub.SubscribeStream(pb.SubscribeStreamRequest(stream=stream, group_id=group), metadata=md)
        ),
    ]
    codes = []
    for call in calls:
        try:
            call()
            codes.append(grpc.StatusCode.OK)
        except grpc.RpcError as exc:
            codes.append(exc.code())  # type: ignore[attr-defined]
    return codes


@pytest.mark.parametrize(("stream", "group"), STREAMS, ids=IDS)
def test_the_ingress_applies_the_access_check(env: Env, stream: str, group: str) -> None:
    denied = [grpc.StatusCode.PERMISSION_DENIED] * 3
    assert ingress_reads(env, stream, group, None) == denied  # anonymous
    assert ingress_reads(env, stream, group, "bob-token") == denied
    assert ingress_reads(env, stream, group, "alice-token") == [grpc.StatusCode.OK] * 3
    with Client(env.address, token=INGRESS_TOKEN, stream_token="alice-token", timeout=10) as alice:
        assert alice.get_stream_group(stream, group) == [{"title": "note", "id": "note"}]
        assert alice.get_stream_item(stream, group, "note") == {"title": "note", "id": "note"}
        with alice.subscribe_stream(stream, group):
            pass


def test_the_ingress_refuses_a_stream_token_the_hook_refuses(env: Env) -> None:
    assert ingress_reads(env, "private", "alice", "wrong-token") == [grpc.StatusCode.UNAUTHENTICATED] * 3
    with Client(env.address, token=INGRESS_TOKEN, stream_token="wrong-token", timeout=10) as client:
        with pytest.raises(IngressError) as refused:
            client.get_stream_group("private", "alice")
    assert refused.value.code == "UNAUTHENTICATED"
    assert "stream-auth: <token>" in str(refused.value)


def test_the_ingress_token_alone_reads_no_protected_stream(env: Env) -> None:
    """The host's ingress token is not a stream credential (nor passed to the hook as one)."""
    with Client(env.address, token=INGRESS_TOKEN, timeout=10) as client:
        with pytest.raises(IngressError) as refused:
            client.get_stream_group("private", "alice")
    assert refused.value.code == "PERMISSION_DENIED"
    assert "access to stream 'private' group 'alice' denied" in str(refused.value)


def test_open_streams_stay_open_over_the_ingress(env: Env) -> None:
    group = uuid.uuid4().hex[:8]
    env.put("todo", group, "a")
    assert ingress_reads(env, "todo", group, None) == [grpc.StatusCode.OK] * 3


@pytest.mark.parametrize(("stream", "group"), STREAMS, ids=IDS)
def test_http_reads_apply_the_access_check(env: Env, stream: str, group: str) -> None:
    url = f"{env.host.url}/__stephost/streams/{stream}/{group}"
    for path in (url, f"{url}/note"):
        assert httpx.get(path, timeout=10).status_code == 403
        assert httpx.get(path, headers={"authorization": "Bearer bob-token"}, timeout=10).status_code == 403
        assert httpx.get(path, headers={"authorization": "Bearer wrong-token"}, timeout=10).status_code == 401
        assert httpx.get(path, headers={"authorization": "Bearer alice-token"}, timeout=10).status_code == 200


@pytest.mark.parametrize(("stream", "group"), STREAMS, ids=IDS)
def test_websocket_joins_apply_the_access_check(env: Env, stream: str, group: str) -> None:
    with pytest.raises(InvalidStatus):
        StreamClient(env.host.url, token="wrong-token")
    for token in (None, "bob-token"):
        other = StreamClient(env.host.url, token=token)
        try:
            other.join(stream, group)
            assert other.next()["event"]["event"]["data"]["code"] == "forbidden"
        finally:
            other.close()
    alice = StreamClient(env.host.url, token="alice-token")
    try:
        alice.join(stream, group)
        assert alice.next()["event"] == {"type": "sync", "data": [{"title": "note", "id": "note"}]}
    finally:
        alice.close()
