"""The stream groups that hold items, kept current for a Workbench page: read once, then
changed by the stream changes every host already receives, instead of the page listing the
whole bucket every few seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from stephost_host import names
from stephost_host.natsio.kv import keys
from stephost_host.streams.store import Change, Streams

# Seconds a delete waits before its group is read again to see whether it emptied: a group
# whose items churn is read once per this, not once per delete.
RECHECK = 1.0


async def group_lists(streams: Streams) -> AsyncIterator[dict[str, list[str]]]:
    """What ``streams.groups()`` says now, then again whenever that changes: at once when a
    group gets its first item, within RECHECK seconds when deletes emptied one."""
    known: set[tuple[str, str]] = set()
    fresh: set[tuple[str, str]] = set()  # written to, and not known to hold items
    emptied: set[tuple[str, str]] = set()  # deleted from: may hold nothing now
    wake = asyncio.Event()

    def seen(change: Change) -> None:
        where = (change.stream, change.group)
        if change.type == "delete":
            emptied.add(where)
        elif change.type == "event" or where in known:
            return
        else:
            fresh.add(where)
        wake.set()

    stop = streams.subscribers.watch_all(seen)  # before the read: nothing falls in between
    try:
        listed = await streams.groups()
        known |= {(stream, group) for stream, groups in listed.items() for group in groups}
        yield listed
        while True:
            await wake.wait()
            if emptied:
                await asyncio.sleep(RECHECK)
            wake.clear()
            before = set(known)
            known |= {where for where in fresh if where[0] in listed}
            fresh.clear()
            checking = emptied & known
            emptied.clear()
            for stream, group in checking:
                if not await _holds_items(streams, stream, group):
                    known.discard((stream, group))
            if known != before:
                listed = {stream: sorted(g for s, g in known if s == stream) for stream in listed}
                yield listed
    finally:
        stop()


async def _holds_items(streams: Streams, stream: str, group: str) -> bool:
    pattern = names.stream_group_filter(stream, group)
    return bool(await keys(streams.nc, streams.js, names.STREAMS_BUCKET, pattern))
