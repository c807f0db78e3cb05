"""The stream WebSocket against hostile input: every bad frame gets an error frame and the
socket stays open (it still answers a valid join); one connection holds at most
``stream_max_subscriptions`` subscriptions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stephost_host.config import ConfigError, load_settings
from stephost_host.operations.rules import MAX_NAME
from stephost_wire.codec import MAX_JSON_DEPTH
from tests.harness import ROOT, HostProcess, NatsServer
from tests.streams_client import StreamClient

PROJECT = ROOT / "tests" / "projects" / "group_reads"
DEFAULT_MAX_SUBSCRIPTIONS = 100


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp = tmp_path_factory.mktemp("ws_input")
    nats = NatsServer(tmp / "nats")
    started = HostProcess(PROJECT, tmp / "host", nats.url).wait_ready(1)
    yield started
    started.stop()
    nats.stop()


@pytest.fixture
def client(host: HostProcess) -> Iterator[StreamClient]:
    c = StreamClient(host.url)
    yield c
    c.close()


def still_answers(client: StreamClient) -> None:
    """The socket is open and serves a valid join after the bad frame."""
    client.join("board", uuid.uuid4().hex[:8], sub="after")
    assert client.next()["event"] == {"type": "sync", "data": []}


def error_of(client: StreamClient) -> str:
    frame = client.next()
    assert frame["type"] == "error", frame
    return str(frame["error"]["message"])


def join_frame(**data: Any) -> dict[str, Any]:
    return {"type": "join", "data": {"streamName": "board", "groupId": "g", "subscriptionId": "s", **data}}


def test_a_binary_frame_gets_an_error_frame(client: StreamClient) -> None:
    client.ws.send(b'{"type": "join"}')
    assert "binary frames are not supported" in error_of(client)
    still_answers(client)


def test_malformed_json_gets_an_error_frame(client: StreamClient) -> None:
    client.send('{"type": "join", "data": ')
    assert "not JSON" in error_of(client)
    still_answers(client)


def test_json_nested_too_deep_gets_an_error_frame(client: StreamClient) -> None:
    depth = 100_000  # deep enough to overflow a recursive parser
    client.send('{"type": "join", "data": ' + "[" * depth + "]" * depth + "}")
    message = error_of(client)
    assert f"at most {MAX_JSON_DEPTH} levels" in message, message
    still_answers(client)


@pytest.mark.parametrize("field", ["streamName", "groupId", "id"])
def test_an_oversized_name_in_a_join_gets_an_error_frame(client: StreamClient, field: str) -> None:
    client.send(join_frame(**{field: "x" * (MAX_NAME + 1)}))
    message = error_of(client)
    assert field in message and f"at most {MAX_NAME}" in message, message
    still_answers(client)


def test_an_empty_group_in_a_join_gets_an_error_frame(client: StreamClient) -> None:
    client.send(join_frame(groupId=""))
    assert "groupId is empty" in error_of(client)
    still_answers(client)


def test_subscriptions_per_connection_are_capped(client: StreamClient) -> None:
    group = uuid.uuid4().hex[:8]
    for n in range(DEFAULT_MAX_SUBSCRIPTIONS):
        client.join("board", group, sub=f"s{n}")
        assert client.next()["event"]["type"] == "sync"
    client.join("board", group, sub="one-too-many")
    refused = client.next()
    assert refused["streamName"] == "board" and refused["groupId"] == group
    error = refused["event"]["event"]
    assert error["type"] == "error" and error["data"]["code"] == "too_many_subscriptions"
    assert f"stream_max_subscriptions={DEFAULT_MAX_SUBSCRIPTIONS}" in error["data"]["message"]
    client.leave("board", group, sub="s0")  # a freed place can be used again
    still_answers(client)


def test_the_cap_is_a_checked_setting(tmp_path: Path) -> None:
    assert load_settings(tmp_path, environ={}).stream_max_subscriptions == DEFAULT_MAX_SUBSCRIPTIONS
    settings = load_settings(tmp_path, environ={"STEPHOST_STREAM_MAX_SUBSCRIPTIONS": "7"})
    assert settings.stream_max_subscriptions == 7
    with pytest.raises(ConfigError, match="stream_max_subscriptions"):
        load_settings(tmp_path, environ={"STEPHOST_STREAM_MAX_SUBSCRIPTIONS": "0"})
