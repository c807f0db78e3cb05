"""Reading what the recorder kept: recent traces, one trace's spans, recent and live logs.

Everything comes from the observe stream, so a host shows the spans and logs of every host
on the same NATS. Reads are bounded: "recent" means within the last ``WINDOW`` records.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from stephost_host import names
from stephost_host.natsio.kv import messages
from stephost_host.observe.recorder import SUBJECTS

# The most recent records a "recent" read looks through: enough for the 100 traces the page
# lists, small enough that a page polling it costs a busy host little.
# How far back reads look, in messages (1 to 64 records each): the recent traces and logs
# the page lists, and the window a trace is looked for in. A message is decoded only when its
# bytes hold the trace id, so a page polling these costs a busy host little.
# A busy host's first two messages already hold the 100 traces the page lists (64 records
# each): the page's 3-second poll then decodes 128 records, not 1,024.
RECENT_MESSAGES = (2, 16, 64, 256)  # read further back only while too little was found
# ...and never once this many records were decoded: a busy host's messages are full, and a
# page polling the trace list of a long trace (one trace id on every event) must not make
# the host fetch and decode 256 full messages every few seconds.
RECENT_RECORDS = 1024
# A trace is looked for in the last 64 messages, then 512, then 5,000: a page showing a
# recent trace of a busy host (and polling it) reads a few messages, not 100 MB.
TRACE_MESSAGES = (64, 512, 5_000)
# Seconds by which hosts' clocks may disagree: a span's start (its host's clock) is compared
# with the time NATS stored a message.
CLOCK_SKEW = 2.0
LIVE_BUFFER = 1000  # messages a slow live reader may fall behind before it misses some


def _unpack(found: list[Msg], kind: str) -> list[dict[str, Any]]:
    """The records of one kind ("spans", "logs") in these messages, oldest first."""
    out: list[dict[str, Any]] = []
    for msg in found:
        with contextlib.suppress(ValueError, AttributeError):
            out.extend(json.loads(msg.data).get(kind, ()))
    return out


def summary(trace_id: str, spans: list[dict[str, Any]]) -> dict[str, Any]:
    """One line of the trace list: where it started, how long, how it went."""
    spans = sorted(spans, key=lambda s: s["start"])
    ids = {s["span"] for s in spans}
    root = next((s for s in spans if s.get("parent", "") not in ids), spans[0])
    start = spans[0]["start"]
    end = max(s["start"] + s["ms"] / 1000 for s in spans)
    return {
        "trace": trace_id,
        "root": root["step"],
        "cause": root.get("cause", ""),
        "start": start,
        "ms": round((end - start) * 1000, 3),
        "spans": len(spans),
        "errors": sum(s["outcome"] != "ok" for s in spans),
        "steps": sorted({s["step"] for s in spans}),
        "languages": sorted({s["language"] for s in spans}),
    }


def _all_within(spans: list[dict[str, Any]], msgs: list[Msg]) -> bool:
    """Whether these messages hold every record of the trace these spans were found in: its
    origin (a span that continues nothing: an HTTP request, a cron tick, an ingress emit) is
    among them, and the oldest message was stored before the origin started. Every other
    span and log of the trace came after the origin started, so was stored after it."""
    origin = min((s["start"] for s in spans if not s.get("parent")), default=None)
    return origin is not None and bool(msgs) and msgs[0].metadata.timestamp.timestamp() < origin - CLOCK_SKEW


class Observed:
    def __init__(self, nc: NATS, js: JetStreamContext) -> None:
        self.nc = nc
        self.js = js

    async def _last(self, count: int, subject: str = names.OBSERVE_SUBJECTS) -> tuple[list[Msg], bool]:
        """Those of the stream's last ``count`` messages that are on ``subject``, oldest
        first, and whether they reach back to the stream's first message."""
        info = await self.js.stream_info(names.OBSERVE_STREAM)
        if not info.state.messages:
            return [], True
        start = max(info.state.first_seq, info.state.last_seq - count + 1, 1)
        found = await messages(
            self.nc, self.js, names.OBSERVE_STREAM, subject, DeliverPolicy.BY_START_SEQUENCE, start_seq=start
        )
        return found, start <= info.state.first_seq

    async def _recent(
        self, kind: str, enough: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        """The most recent records of a kind: a few messages under load (they are full),
        further back when they hold too little (a quiet dev host sends small ones)."""
        found: list[dict[str, Any]] = []
        for count in RECENT_MESSAGES:
            msgs, whole = await self._last(count, SUBJECTS[kind])
            found = _unpack(msgs, kind)
            if enough(found) or whole or len(found) >= RECENT_RECORDS:
                break
        return found

    async def traces(self, limit: int = 100, step: str = "") -> list[dict[str, Any]]:
        def listed(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
            by_trace: dict[str, list[dict[str, Any]]] = {}
            for span in spans:
                by_trace.setdefault(span["trace"], []).append(span)
            found = [summary(t, spans) for t, spans in by_trace.items()]
            return [t for t in found if step in t["steps"]] if step else found

        def enough(spans: list[dict[str, Any]]) -> bool:  # counted, not summarised: a poll summarises once
            return len({s["trace"] for s in spans if not step or s["step"] == step}) > limit

        found = listed(await self._recent("spans", enough))
        return sorted(found, key=lambda t: t["start"], reverse=True)[:limit]

    async def trace(self, trace_id: str) -> dict[str, Any] | None:
        """Every span of the trace, oldest first, with its logs; None when none is kept."""
        needle = json.dumps(trace_id).encode()  # as it appears in a record: "trace": "<id>"
        for count in TRACE_MESSAGES:
            msgs, whole = await self._last(count)
            found = [m for m in msgs if needle in m.data]
            spans = [s for s in _unpack(found, "spans") if s["trace"] == trace_id]
            if whole or _all_within(spans, msgs):
                break
        if not spans:
            return None
        logs = [r for r in _unpack(found, "logs") if r.get("trace") == trace_id]
        spans.sort(key=lambda s: s["start"])
        return {**summary(trace_id, spans), "items": spans, "logs": logs}

    async def logs(self, limit: int = 500) -> list[dict[str, Any]]:
        return (await self._recent("logs", lambda logs: len(logs) >= limit))[-limit:]

    async def tail(self) -> AsyncIterator[bytes]:
        """Log records as any host records them, from now on (core NATS: the stream's input),
        a message at a time as the recorder encoded it: ``{"logs": [...]}`` on one line. A
        page's live tail is handed those bytes as they are: nothing is decoded or encoded
        again per page, and a busy host's logs come a batch to an event. It ends when the
        caller stops iterating (http/admin/live.py ends it when the host stops)."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(LIVE_BUFFER)

        async def received(msg: Msg) -> None:
            if b"\n" in msg.data:  # not the recorder's one line (an event is a line)
                return
            with contextlib.suppress(asyncio.QueueFull):  # a reader this far behind skips some
                queue.put_nowait(msg.data)

        sub = await self.nc.subscribe(names.OBSERVE_LOGS, cb=received)
        try:
            while True:
                yield await queue.get()
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
