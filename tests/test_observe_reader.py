"""What a Workbench page polling the trace list costs the host, on a real nats-server: on a
busy host (full messages) the list is read from the last few messages only, even when they
hold a single long trace (one trace id on every event, as `make bench`'s chain sends), instead
of fetching and decoding further and further back on every poll."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from stephost_host import names
from stephost_host.http.admin.live import until
from stephost_host.natsio import jetstream
from stephost_host.observe import Recorder, Span
from stephost_host.observe.reader import CLOCK_SKEW, RECENT_MESSAGES, RECENT_RECORDS, TRACE_MESSAGES, Observed
from stephost_host.observe.recorder import PER_MESSAGE
from tests.harness import NatsServer

MESSAGES = 300  # more than the deepest look-back (256)


def on_nats(tmp_path: Path, scenario: Callable[[str], Coroutine[Any, Any, None]]) -> None:
    """Runs ``scenario`` against a real nats-server (which runs on a loop of its own)."""
    server = NatsServer(tmp_path / "nats")
    try:
        asyncio.run(scenario(server.url))
    finally:
        server.stop()


class Counting(Observed):
    """The real reader, noting how many messages each read asked the stream for."""

    asked: list[int]

    async def _last(self, count: int, subject: str = names.OBSERVE_SUBJECTS) -> tuple[list, bool]:  # type: ignore[type-arg]
        self.asked.append(count)
        return await super()._last(count, subject)


def test_the_trace_list_of_a_busy_host_reads_only_its_last_messages(tmp_path: Path) -> None:
    on_nats(tmp_path, busy_host_trace_list)


async def busy_host_trace_list(url: str) -> None:
    nc = await jetstream.connect(url)
    try:
        js = nc.jetstream()
        n = MESSAGES * PER_MESSAGE
        recorder = Recorder(nc, js, max_messages=1000, max_age_hours=1, queue_size=n + 1)
        await recorder.start()
        for _ in range(n):
            recorder.ended(Span("ab" * 16, "hop1", "python"), 1.0, None)
        await recorder.stop()
        await nc.flush()
        deadline = time.monotonic() + 30
        while (await js.stream_info(names.OBSERVE_STREAM)).state.messages < MESSAGES:
            assert time.monotonic() < deadline, "the recorder's messages did not all reach the stream"
            await asyncio.sleep(0.05)

        reader = Counting(nc, js)
        reader.asked = []
        listed = await reader.traces(limit=100)
        # Full messages: the look-back stops once RECENT_RECORDS were read (16 messages), never 256.
        assert reader.asked == [c for c in RECENT_MESSAGES if c * PER_MESSAGE <= RECENT_RECORDS]
        assert [t["trace"] for t in listed] == ["ab" * 16]
        assert listed[0]["spans"] == reader.asked[-1] * PER_MESSAGE

        # Many short traces (an api step): the first, smallest read already holds 100 of them.
        last = (await js.stream_info(names.OBSERVE_STREAM)).state.last_seq
        recorder = Recorder(nc, js, max_messages=1000, max_age_hours=1, queue_size=n + 1)
        await recorder.start()
        for i in range(4 * PER_MESSAGE):
            recorder.ended(Span(f"{i:032x}", "hello", "python"), 1.0, None)
        await recorder.stop()
        await nc.flush()
        while (await js.stream_info(names.OBSERVE_STREAM)).state.last_seq < last + 4:
            assert time.monotonic() < deadline + 30, "the second recorder's messages did not all arrive"
            await asyncio.sleep(0.05)
        reader.asked = []
        assert len(await reader.traces(limit=100)) == 100 and reader.asked == [RECENT_MESSAGES[0]]

    finally:
        await nc.close()


def test_the_live_tail_gets_log_batches_and_never_a_span(tmp_path: Path) -> None:
    on_nats(tmp_path, tail_among_spans)


async def tail_among_spans(url: str) -> None:
    """A busy host's spans and a few log lines: the tail is handed only the log messages, as
    the recorder encoded them (one line, a batch to an event), and the recent logs are found
    past the span messages."""
    nc = await jetstream.connect(url)
    try:
        js = nc.jetstream()
        recorder = Recorder(nc, js, max_messages=1000, max_age_hours=1)
        await recorder.start()
        reader = Observed(nc, js)
        batches: list[bytes] = []

        closing = asyncio.Event()  # what the host sets when it stops (http/admin/live.py)

        async def tail() -> None:
            async for batch in until(closing, reader.tail()):
                batches.append(batch)

        tailing = asyncio.create_task(tail())
        deadline = time.monotonic() + 30
        while not batches:  # the tail is listening once a probe line comes through
            assert time.monotonic() < deadline, "the tail never started"
            recorder.log_record(
                logging.LogRecord("stephost.step", logging.INFO, __file__, 1, "probe", (), None)
            )
            await asyncio.sleep(0.2)
        lines = []
        for i in range(3 * PER_MESSAGE):
            recorder.ended(Span(f"{i:032x}", "hello", "python"), 1.0, None)
            if i % PER_MESSAGE == 0:
                record = logging.LogRecord("stephost.step", logging.INFO, __file__, 1, "line %d", (i,), None)
                recorder.log_record(record)
                lines.append(f"line {i}")
        await recorder.stop()
        await nc.flush()

        def tailed() -> list[str]:
            return [r["msg"] for b in batches for r in json.loads(b)["logs"] if r["msg"] != "probe"]

        while len(tailed()) < len(lines):
            assert time.monotonic() < deadline, ("the tail missed log lines", batches)
            await asyncio.sleep(0.05)
        assert tailed() == lines
        assert all(set(json.loads(b)) == {"logs"} and b"\n" not in b for b in batches)
        assert [r["msg"] for r in await reader.logs(10) if r["msg"] != "probe"] == lines
        closing.set()
        await asyncio.wait_for(tailing, 10)  # the host stopping ends the tail
    finally:
        await nc.close()


def test_a_recent_trace_is_read_from_the_last_messages_only(tmp_path: Path) -> None:
    on_nats(tmp_path, recent_trace)


async def recent_trace(url: str) -> None:
    """A page showing (and polling) a trace of a busy host: a trace whose origin is in the
    last 64 messages, stored after the oldest of them, is read from those 64; one whose
    origin is not kept (its caller's span is elsewhere) is looked for further back."""
    nc = await jetstream.connect(url)
    try:
        js = nc.jetstream()

        async def record(spans: list[Span]) -> None:
            recorder = Recorder(nc, js, max_messages=10_000, max_age_hours=1, queue_size=len(spans) + 1)
            await recorder.start()
            for span in spans:
                recorder.ended(span, 1.0, None)
            await recorder.stop()
            await nc.flush()

        busy = [Span(f"{i:032x}", "hello", "python") for i in range(100 * PER_MESSAGE)]
        await record(busy)
        # Started after the filler above was stored: set ahead rather than waited for.
        origin = Span("0a" * 16, "place-order", "python", cause="http", start=time.time() + CLOCK_SKEW + 1)
        child = Span(
            "0a" * 16, "ship-order", "ruby", parent=origin.span_id, cause="event", start=origin.start + 0.01
        )
        orphan = Span("0b" * 16, "ship-order", "ruby", parent="c" * 16, cause="event")
        await record([origin, child, orphan])
        await record(busy[: 30 * PER_MESSAGE])
        deadline = time.monotonic() + 30
        while (await js.stream_info(names.OBSERVE_STREAM)).state.messages < 131:
            assert time.monotonic() < deadline, "the recorder's messages did not all reach the stream"
            await asyncio.sleep(0.05)

        reader = Counting(nc, js)
        reader.asked = []
        found = await reader.trace("0a" * 16)
        assert found is not None and [s["step"] for s in found["items"]] == ["place-order", "ship-order"]
        assert reader.asked == [TRACE_MESSAGES[0]]
        reader.asked = []
        found = await reader.trace("0b" * 16)
        assert found is not None and [s["step"] for s in found["items"]] == ["ship-order"]
        assert reader.asked == list(TRACE_MESSAGES[:2])  # looked further: 512 hold the whole stream
    finally:
        await nc.close()
