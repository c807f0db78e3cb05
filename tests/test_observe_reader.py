"""What a Workbench page polling the trace list costs the host, on a real nats-server: on a
busy host (full messages) the list is read from the last few messages only, even when they
hold a single long trace (one trace id on every event, as `make bench`'s chain sends), instead
of fetching and decoding further and further back on every poll."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from stephost_host import names
from stephost_host.natsio import jetstream
from stephost_host.observe import Recorder, Span
from stephost_host.observe.reader import RECENT_MESSAGES, RECENT_RECORDS, Observed
from stephost_host.observe.recorder import NO_LOGS, PER_MESSAGE, encode
from tests.harness import NatsServer

MESSAGES = 300  # more than the deepest look-back (256)


class Counting(Observed):
    """The real reader, noting how many messages each read asked the stream for."""

    asked: list[int]

    async def _last(self, count: int) -> list:  # type: ignore[type-arg]
        self.asked.append(count)
        return await super()._last(count)


def test_the_trace_list_of_a_busy_host_reads_only_its_last_messages(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")  # runs on a loop of its own
    try:
        asyncio.run(busy_host_trace_list(server.url))
    finally:
        server.stop()


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


def test_a_message_without_log_records_ends_the_way_the_live_tail_skips() -> None:
    """The live tail skips span-only messages by their last bytes, undecoded; a message with
    a log record, even one whose text is that ending, is decoded."""
    assert encode({"spans": [{"step": "a"}], "logs": []}).endswith(NO_LOGS)
    tricky = encode({"spans": [], "logs": [{"msg": '"logs": []}'}]})
    assert not tricky.endswith(NO_LOGS)
