"""The batching writer both Python ends of the link use: one gRPC message per batch, and no
batch over the per-message limit, however much is queued."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from stephost.errors import HostCallError
from stephost_sidecar.connection import Connection, Options, build_hello
from stephost_sidecar.loader import Project
from stephost_sidecar.proto import codec, pb


def log_msg(text: str) -> pb.SidecarMessage:
    return pb.SidecarMessage(log=pb.LogRecord(message=text))


async def drain(
    items: list[pb.SidecarMessage], limit: int, refuse: Any = None
) -> list[list[pb.SidecarMessage]]:
    queue: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
    for item in [*items, None]:
        queue.put_nowait(item)
    refused: Any = refuse or (lambda m, exc: pytest.fail(f"nothing here is over the limit: {exc}"))
    return [
        list(b.messages)
        async for b in codec.batches(queue, lambda m: pb.SidecarBatch(messages=m), refused, limit)
    ]


async def test_a_batch_never_exceeds_the_limit_and_keeps_the_order() -> None:
    items = [log_msg(f"{i:03d}" + "x" * 300) for i in range(20)]
    limit = 1000
    sent = await drain(items, limit)
    assert len(sent) > 1
    assert all(pb.SidecarBatch(messages=b).ByteSize() <= limit for b in sent)
    assert [m for b in sent for m in b] == items  # nothing lost, nothing reordered


async def test_the_item_that_does_not_fit_opens_the_next_batch() -> None:
    small, big = log_msg("a" * 300), log_msg("b" * 750)
    sent = await drain([small, small, big, small], 1000)
    assert sent == [[small, small], [big], [small]]


async def test_an_item_over_the_limit_alone_is_replaced_by_what_refuse_returns() -> None:
    seen: list[codec.MessageTooLarge] = []

    def refuse(msg: pb.SidecarMessage, exc: codec.MessageTooLarge) -> pb.SidecarMessage:
        seen.append(exc)
        return log_msg("refused")

    sent = await drain([log_msg("a"), log_msg("x" * 5000), log_msg("b")], 1000, refuse)
    assert [m.log.message for b in sent for m in b] == ["a", "refused", "b"]
    assert seen[0].size > 5000 and seen[0].limit < 1000
    assert "over the sidecar link's limit" in str(seen[0])


async def test_a_refused_item_can_be_dropped() -> None:
    sent = await drain([log_msg("x" * 5000), log_msg("b")], 1000, lambda m, exc: None)
    assert [m.log.message for b in sent for m in b] == ["b"]


async def test_the_item_count_is_bounded_too() -> None:
    sent = await drain([log_msg("") for _ in range(codec.MAX_BATCH + 3)], codec.MAX_MESSAGE_BYTES)
    assert [len(b) for b in sent] == [codec.MAX_BATCH, 3]


async def test_big_items_travel_alone_and_small_ones_together() -> None:
    big = log_msg("x" * codec.BATCH_BYTES)
    small = log_msg("s")
    sent = await drain([small, small, big, big, small], codec.MAX_MESSAGE_BYTES)
    assert sent == [[small, small], [big], [big], [small]]


async def test_frames_are_the_same_batches_already_encoded() -> None:
    """What both ends write: byte for byte the batch message ``batches`` would have built, for
    items whose lengths take one to four varint bytes, a refused one swapped on the way."""
    items = [log_msg("a"), log_msg("b" * 300), log_msg("c" * 20_000), log_msg("d" * 3_000_000)]
    items += [log_msg("x" * 5_000_000), log_msg("e")]

    def refuse(msg: pb.SidecarMessage, exc: codec.MessageTooLarge) -> pb.SidecarMessage:
        return log_msg("refused")

    limit = 3_010_000  # d does not fit beside a, b and c
    queue: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
    for item in [*items, None]:
        queue.put_nowait(item)
    frames = [f async for f in codec.frames(queue, refuse, limit)]
    batches = await drain(items, limit, refuse)
    assert len(frames) == len(batches) > 1
    assert frames == [pb.SidecarBatch(messages=b).SerializeToString() for b in batches]
    parsed = [m.log.message[:1] for f in frames for m in pb.SidecarBatch.FromString(f).messages]
    assert parsed == ["a", "b", "c", "d", "r", "e"]


@pytest.mark.parametrize(("busy", "first_size"), [(True, 1), (False, 1), (True, codec.BUSY_WAIT_BELOW)])
async def test_only_a_busy_writer_waits_for_more_before_writing(busy: bool, first_size: int) -> None:
    """With more than BUSY_IN_FLIGHT invocations running, what is queued just after the first
    message goes in the same write; one request at a time, or a big first message (a body:
    waiting before each of many kept heartbeats queued for seconds), is written at once."""
    queue: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
    running = codec.BUSY_IN_FLIGHT + 1 if busy else 1
    frames = codec.frames(queue, lambda m, exc: None, in_flight=lambda: running)
    queue.put_nowait(log_msg("a" * first_size))
    first = asyncio.ensure_future(anext(frames))
    asyncio.get_running_loop().call_soon(queue.put_nowait, log_msg("b"))  # after the writer took "a"
    written = [await first]
    waits = busy and first_size < codec.BUSY_WAIT_BELOW
    if not waits:
        written.append(await anext(frames))
    expected = [["a", "b"]] if waits else [["a"], ["b"]]
    got = [[m.log.message[:1] for m in pb.SidecarBatch.FromString(f).messages] for f in written]
    assert got == expected


@pytest.mark.parametrize("writer", ["frames", "batches"])
async def test_the_writer_holds_nothing_it_sent_while_it_waits_for_more(writer: str) -> None:
    """A link that just carried a big body must not keep it until its next message: nothing
    but this test refers to what was written once the writer waits again (the host kept the
    last batch of a burst of 15 MB bodies, tens of MB, for as long as the link stayed quiet)."""
    queue: asyncio.Queue[pb.SidecarMessage | None] = asyncio.Queue()
    queued = [log_msg("a" * 2_000_000), log_msg("b" * 3_000_000)]  # a group each
    for msg in queued:
        queue.put_nowait(msg)
    refuse = lambda m, exc: None  # noqa: E731
    if writer == "frames":
        out: Any = codec.frames(queue, refuse)
    else:
        out = codec.batches(queue, lambda m: pb.SidecarBatch(messages=m), refuse, batch_bytes=2_500_000)
    written = [await anext(out), await anext(out)]
    waiting = asyncio.ensure_future(anext(out))
    await asyncio.sleep(0)  # the writer now waits for the next item
    for i in range(2):  # by index: a zip's tuples would refer to them too
        assert [type(r).__name__ for r in gc.get_referrers(written[i]) if r is not written] == []
        assert [type(r).__name__ for r in gc.get_referrers(queued[i]) if r is not queued] == []
    queue.put_nowait(None)
    with pytest.raises(StopAsyncIteration):
        await waiting


def test_grpc_accepts_what_the_writer_may_send() -> None:
    options = dict(codec.grpc_options())
    assert options["grpc.max_receive_message_length"] == codec.MAX_MESSAGE_BYTES


async def test_the_sidecar_answers_its_own_oversized_messages() -> None:
    options = Options(target="127.0.0.1:1", secret="", sidecar_id="py-1", capacity=1)
    conn = Connection(options, build_hello(options, Project(), []))
    exc = codec.MessageTooLarge(70_000_000)
    # A result too big: the host gets an error result for that invocation instead.
    big = pb.SidecarMessage(result=pb.InvocationResult(invocation_id="i1", result_json="x"))
    sent = conn._refuse(big, exc)
    assert sent is not None and sent.result.invocation_id == "i1"
    assert sent.result.error.type == "PayloadTooLarge" and not sent.result.error.retryable
    assert "70000000 bytes" in sent.result.error.message
    # A call too big: the handler's call fails with the same error; nothing is sent.
    outgoing: list[pb.SidecarMessage] = []
    conn.calls._send = outgoing.append  # what would go to the link's writer
    pending = conn.calls.emit("i1", "topic", "x", None)
    [call] = outgoing
    assert conn._refuse(call, exc) is None  # answered on the handlers' loop instead
    with pytest.raises(HostCallError) as raised:
        await pending
    assert raised.value.type == "PayloadTooLarge"
    assert conn._refuse(log_msg("x"), exc) is None  # a log line is dropped
