"""A group's live view with a sync first (what the Workbench's stream panel reads): a change
made before the sync's read can still arrive after it, because changes travel through NATS;
one that only restates what the sync showed is not passed on, every other change is."""

from __future__ import annotations

import asyncio
from typing import Any

from stephost_host.natsio import jetstream
from stephost_host.streams.definitions import StreamDef
from stephost_host.streams.store import Change, Streams, Synced
from tests.harness import NatsServer


def test_a_late_change_the_sync_already_showed_is_not_repeated(nats_server: NatsServer) -> None:
    async def run() -> list[dict[str, Any]]:
        nc = await jetstream.connect(nats_server.url)
        try:
            buckets = await jetstream.ensure_all(nc.jetstream(), event_max_age_days=1)
            todo = StreamDef("todo", "steps/todo_stream.py", "python", "v1", {"name": "todo"})
            streams = Streams(nc, nc.jetstream(), buckets.streams, {"todo": todo})
            await streams.start()
            first = await streams.set("todo", "g", "a", {"title": "first"})
            live = streams.subscribe("todo", "g", sync=True)
            seen = [await anext(live)]
            # "a"'s own announcement, as if it had been slow on its way through NATS.
            await streams._announce(Change("todo", "g", "a", "create", first, 1))
            await streams.set("todo", "g", "b", {"title": "second"})
            await streams.set("todo", "g", "a", {"title": "changed"})
            await streams._announce(Change("todo", "g", "a", "update", first, 2))  # back again: real
            for _ in range(3):
                seen.append(await asyncio.wait_for(anext(live), 10))
            await live.aclose()
            return seen
        finally:
            await nc.close()

    sync, b, changed, back = asyncio.run(run())
    assert sync["type"] == "sync" and sync["data"] == [{"title": "first", "id": "a"}]
    assert (b["type"], b["id"], b["data"]) == ("create", "b", {"title": "second", "id": "b"})
    assert (changed["type"], changed["id"], changed["data"]) == (
        "update",
        "a",
        {"title": "changed", "id": "a"},
    )
    assert (back["type"], back["id"], back["data"]) == ("update", "a", {"title": "first", "id": "a"})


def test_a_change_that_only_restates_the_sync_is_dropped_until_the_item_changes() -> None:
    """A put made before a join's read can reach the joiner after its sync (through NATS): the
    WebSocket join and ``Streams.subscribe`` both drop it (``Synced``), and pass every change
    once the item really changed, even one back to the synced value."""

    def change(kind: str, item: str, data: object) -> Change:
        return Change("todo", "g", item, kind, data, 0)

    first = {"title": "first", "id": "a"}
    synced = Synced([first, "not an item"])
    assert not synced.passes(change("create", "a", dict(first)))  # the put the sync already has
    assert synced.passes(change("create", "b", {"title": "second", "id": "b"}))
    assert synced.passes(change("update", "a", {"title": "edited", "id": "a"}))
    assert synced.passes(change("update", "a", dict(first)))  # a real change back: passed on
    one = Synced({"title": "x", "id": "c"})  # an item subscription's sync: the item itself
    assert not one.passes(change("update", "c", {"title": "x", "id": "c"}))
    assert Synced(None).passes(change("create", "c", {"id": "c"}))
