"""Real-time streams over the WebSocket Motia's clients speak, reads over HTTP, auth,
persistence and two hosts on one NATS."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.harness import ROOT, eventually
from tests.streams_client import StreamClient

PROJECT = ROOT / "tests" / "projects" / "streams"
STEPS = 3


def uid() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def host(start_host: Any) -> Any:
    return start_host(PROJECT, live_steps=STEPS)


def put(host: Any, group: str, item: str, data: dict[str, Any], stream: str = "todo") -> httpx.Response:
    return httpx.post(f"{host.url}/todo/{stream}/{group}/{item}", json=data, timeout=10)


def test_group_subscription_sees_sync_create_update_delete_and_events(host: Any) -> None:
    group = uid()
    put(host, group, "a", {"title": "first"})
    client = StreamClient(host.url)
    try:
        client.join("todo", group)
        sync = client.next()
        assert sync["streamName"] == "todo" and sync["groupId"] == group and "id" not in sync
        assert sync["event"] == {"type": "sync", "data": [{"title": "first", "id": "a"}]}
        assert isinstance(sync["timestamp"], int)

        put(host, group, "b", {"title": "second"})
        assert client.next_event() == {
            "type": "create",
            "data": {"title": "second", "id": "b"},
            "streamName": "todo",
            "groupId": group,
            "id": "b",
        }
        put(host, group, "b", {"title": "second", "done": True})
        assert client.next_event()["type"] == "update"
        httpx.delete(f"{host.url}/todo/todo/{group}/a")
        assert client.next_event() == {
            "type": "delete",
            "data": {"title": "first", "id": "a"},
            "streamName": "todo",
            "groupId": group,
            "id": "a",
        }
        httpx.post(f"{host.url}/ping/todo/{group}", json={"n": 1})
        event = client.next()
        assert event["event"] == {"type": "event", "event": {"type": "ping", "data": {"n": 1}}}
        assert "id" not in event
    finally:
        client.close()


def test_item_subscription_and_group_isolation(host: Any) -> None:
    group, other = uid(), uid()
    client = StreamClient(host.url)
    try:
        client.join("todo", group, "x")
        assert client.next()["event"] == {"type": "sync", "data": None}
        put(host, other, "x", {"title": "another group"})  # must never arrive
        put(host, group, "y", {"title": "another item"})  # not this subscription's item
        put(host, group, "x", {"title": "mine"})
        frame = client.next()
        assert (frame["groupId"], frame["id"], frame["event"]["type"]) == (group, "x", "create")
        assert frame["event"]["data"] == {"title": "mine", "id": "x"}
    finally:
        client.close()


def test_one_frame_per_change_with_group_and_item_subscriptions(host: Any) -> None:
    group = uid()
    client = StreamClient(host.url)
    try:
        client.join("todo", group, sub="g")
        client.join("todo", group, "x", sub="i")
        assert {client.next()["event"]["type"], client.next()["event"]["type"]} == {"sync"}
        put(host, group, "x", {"title": "one"})
        put(host, group, "z", {"title": "marker"})
        assert client.next()["id"] == "x"
        assert client.next()["id"] == "z"  # not a second copy of x
        client.leave("todo", group, sub="g")
        put(host, group, "z", {"title": "after leave"})
        put(host, group, "x", {"title": "two"})
        frame = client.next()
        assert (frame["id"], frame["event"]["type"]) == ("x", "update")
    finally:
        client.close()


def test_reconnect_gets_a_fresh_sync(host: Any) -> None:
    group = uid()
    first = StreamClient(host.url)
    first.join("todo", group)
    first.next()
    first.close()
    put(host, group, "a", {"title": "while away"})
    again = StreamClient(host.url)
    try:
        again.join("todo", group)
        assert again.next()["event"]["data"] == [{"title": "while away", "id": "a"}]
    finally:
        again.close()


def test_malformed_frames_get_errors_and_break_nobody(host: Any) -> None:
    group = uid()
    bystander = StreamClient(host.url)
    rude = StreamClient(host.url)
    try:
        bystander.join("todo", group)
        bystander.next()
        for bad, expected in [
            ("not json", "not JSON"),
            ({"type": "dance"}, "unknown frame type 'dance'"),
            ({"type": "join", "data": {"groupId": "g"}}, "string streamName and groupId"),
            ([1, 2], "unknown frame type 'list'"),
        ]:
            rude.send(bad)
            reply = rude.next()
            assert reply["type"] == "error" and expected in reply["error"]["message"]
        rude.join("nope", group)
        assert rude.next()["event"]["event"]["data"]["code"] == "not_found"
        rude.join("todo", group)  # the rude client still works
        assert rude.next()["event"]["type"] == "sync"
        put(host, group, "k", {"title": "still flowing"})
        assert bystander.next()["event"]["type"] == "create"
        assert rude.next()["event"]["type"] == "create"
    finally:
        bystander.close()
        rude.close()


# Schema violations in both stream_schema modes: tests/test_stream_schema_mode.py.


def test_http_reads(host: Any) -> None:
    group = uid()
    put(host, group, "a", {"title": "read me"})
    assert httpx.get(f"{host.url}/__stephost/streams/todo/{group}").json() == [
        {"title": "read me", "id": "a"}
    ]
    assert httpx.get(f"{host.url}/__stephost/streams/todo/{group}/a").json() == {
        "title": "read me",
        "id": "a",
    }
    assert httpx.get(f"{host.url}/__stephost/streams/todo/{group}/zz").status_code == 404
    assert httpx.get(f"{host.url}/__stephost/streams/nope/{group}").status_code == 404


def test_auth_hook_and_per_stream_access(host: Any) -> None:
    with pytest.raises(InvalidStatus) as refused:
        StreamClient(host.url, token="wrong-token")
    assert refused.value.response.status_code == 403
    alice = StreamClient(host.url, token="alice-token")
    bob = StreamClient(host.url, query="?authToken=bob-token")
    try:
        alice.join("private", "alice")
        assert alice.next()["event"]["type"] == "sync"
        bob.join("private", "alice")
        denied = bob.next()
        assert denied["event"] == {
            "type": "event",
            "event": {
                "type": "error",
                "data": {"code": "forbidden", "message": "access to stream 'private' group 'alice' denied"},
            },
        }
        put(host, "alice", "note", {"secret": 1}, stream="private")
        assert alice.next()["event"]["type"] in ("create", "update")
        bob.join("todo", "public")  # bob can still use open streams, and saw no private data
        assert bob.next()["event"]["type"] == "sync"
    finally:
        alice.close()
        bob.close()
    private = f"{host.url}/__stephost/streams/private/alice"
    assert httpx.get(private).status_code == 403
    assert httpx.get(private, headers={"authorization": "Bearer alice-token"}).status_code == 200
    assert httpx.get(private, headers={"authorization": "Bearer wrong-token"}).status_code == 401


@pytest.mark.parametrize("stream", ["team", "crew"], ids=["typescript", "ruby"])
def test_access_checks_written_in_other_languages(host: Any, stream: str) -> None:
    alice = StreamClient(host.url, token="alice-token")
    bob = StreamClient(host.url, token="bob-token")
    try:
        alice.join(stream, f"{stream}-alice")
        assert alice.next()["event"]["type"] == "sync"
        bob.join(stream, f"{stream}-alice")
        assert bob.next()["event"]["event"]["data"]["code"] == "forbidden"
    finally:
        alice.close()
        bob.close()


def test_items_survive_a_host_restart(start_host: Any) -> None:
    group = uid()
    first = start_host(PROJECT, live_steps=STEPS)
    put(first, group, "kept", {"title": "durable"})
    first.stop()
    second = start_host(PROJECT, live_steps=STEPS)
    assert httpx.get(f"{second.url}/__stephost/streams/todo/{group}/kept").json() == {
        "title": "durable",
        "id": "kept",
    }


def test_a_set_on_one_host_reaches_a_client_of_another(start_host: Any) -> None:
    group = uid()
    host_a = start_host(PROJECT, live_steps=STEPS)
    host_b = start_host(PROJECT, live_steps=STEPS)
    client = StreamClient(host_b.url)
    try:
        client.join("todo", group)
        client.next()
        put(host_a, group, "x", {"title": "from A"})
        assert client.next_event()["data"] == {"title": "from A", "id": "x"}
    finally:
        client.close()


def test_motias_own_node_client_works_unchanged(host: Any) -> None:
    """@motiadev/stream-client-node from npm, which nobody here wrote."""
    group = uid()
    script = ROOT / "tests" / "motia_client" / "watch.mjs"
    ws_url = host.url.replace("http://", "ws://")
    proc = subprocess.Popen(
        ["node", str(script), ws_url, "todo", group], stdout=subprocess.PIPE, text=True, cwd=script.parent
    )
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline()) == {"ready": []}
        put(host, group, "a", {"title": "from python"})
        put(host, group, "a", {"title": "updated"})
        put(host, group, "b", {"title": "second"})
        httpx.delete(f"{host.url}/todo/todo/{group}/a")
        httpx.post(f"{host.url}/ping/todo/{group}", json={"hello": "node"})
        seen = eventually(
            lambda: _until(proc, lambda d: "event" in d), what="the custom event via the client"
        )
        assert seen["event"] == {"hello": "node"}
        assert seen["state"] == [{"title": "second", "id": "b"}]
        assert seen["item"] is None  # the item subscription saw "a" deleted
    finally:
        proc.kill()
        proc.wait()


def _until(proc: subprocess.Popen[str], done: Any) -> dict[str, Any] | None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    doc = json.loads(line) if line else None
    return doc if doc and done(doc) else None


def test_the_workbench_group_list_is_live(host: Any) -> None:
    """`/__stephost/stream-groups/live` (the Workbench's Streams panel) sends the groups now,
    then again when a group gets its first item and when its last one is deleted; items
    changing in a known group and custom events send nothing."""
    group, other = uid(), uid()
    admin = httpx.Client(base_url=host.url, headers={"authorization": f"Bearer {host.secret}"}, timeout=30)
    assert httpx.get(f"{host.url}/__stephost/stream-groups/live").status_code == 401  # no door open
    with admin.stream("GET", "/__stephost/stream-groups/live") as live:
        assert live.headers["content-type"].startswith("text/event-stream")
        events = (json.loads(line[6:]) for line in live.iter_lines() if line.startswith("data: "))
        assert group not in next(events)["todo"]
        put(host, group, "a", {"title": "first"})
        assert group in next(events)["todo"]
        put(host, group, "a", {"title": "again"})  # known group: nothing new to send...
        httpx.post(f"{host.url}/ping/todo/{group}", json={"n": 1})
        put(host, other, "b", {"title": "elsewhere"})  # ...so the next event is this group's
        listed = next(events)["todo"]
        assert group in listed and other in listed
        httpx.delete(f"{host.url}/todo/todo/{group}/a")
        listed = next(events)["todo"]
        assert group not in listed and other in listed


def test_open_live_views_end_when_the_host_stops(start_host: Any) -> None:
    """An open Workbench page (its log tail and its group list) never holds up the drain: with a
    drain period longer than the harness waits, the host still stops at once, cleanly, and both
    views end as complete responses."""
    host = start_host(PROJECT, live_steps=STEPS, env={"STEPHOST_DRAIN_SECONDS": "120"})
    admin = httpx.Client(base_url=host.url, headers={"authorization": f"Bearer {host.secret}"}, timeout=60)
    views = {}
    for path in ("/__stephost/logs/live", "/__stephost/stream-groups/live"):
        view = admin.send(admin.build_request("GET", path), stream=True)
        views[path] = (view, view.iter_lines())
        assert next(views[path][1]).startswith(": keep-alive")
    host.signal(15)
    for path, (view, lines) in views.items():
        rest = list(lines)  # a cut connection would raise here instead
        assert all(not line or line.startswith("data: ") for line in rest), (path, rest)
        view.close()
    assert host.proc.wait(60) == 0  # well before the drain period would have run out


def test_the_admin_event_stream_of_a_group(host: Any) -> None:
    """`/__stephost/stream-groups/{stream}/{group}/live`: a sync, then every change and custom
    event, shaped like the WebSocket's frames (read as the operator: no stream auth)."""
    group = uid()
    put(host, group, "a", {"title": "first"})
    admin = httpx.Client(base_url=host.url, headers={"authorization": f"Bearer {host.secret}"}, timeout=30)
    missing = admin.get("/__stephost/stream-groups/nope/x/live")
    assert missing.status_code == 404 and "no stream named 'nope'" in missing.text
    with admin.stream("GET", f"/__stephost/stream-groups/todo/{group}/live") as live:
        frames = (json.loads(line[6:]) for line in live.iter_lines() if line.startswith("data: "))
        assert next(frames)["event"] == {"type": "sync", "data": [{"title": "first", "id": "a"}]}
        put(host, group, "b", {"title": "second"})
        frame = next(frames)
        assert frame["id"] == "b" and frame["event"] == {
            "type": "create",
            "data": {"title": "second", "id": "b"},
        }
        httpx.post(f"{host.url}/ping/todo/{group}", json={"n": 2})
        assert next(frames)["event"] == {"type": "event", "event": {"type": "ping", "data": {"n": 2}}}
