"""Request bodies beyond JSON and responses that are bytes or streamed (issue 17)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from conftest import MemoryChannel
from test_runner import Results, invocation, make_step, run_one

from stephost_sidecar.hooks import Hooks
from stephost_sidecar.proto import pb
from stephost_sidecar.response_stream import MAX_CHUNK, WINDOW
from stephost_sidecar.runner import Runner


class Wire:
    """The reply callback: records chunks and results in the order they were sent."""

    def __init__(self) -> None:
        self.chunks: list[pb.ResponseChunk] = []
        self.results = Results()
        self.changed = asyncio.Event()

    def __call__(self, msg: pb.SidecarMessage) -> None:
        if msg.WhichOneof("kind") == "chunk":
            self.chunks.append(msg.chunk)
        else:
            self.results(msg)
        self.changed.set()

    async def until(self, check: Any, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                self.changed.clear()
                await self.changed.wait()


def api_runner(channel: MemoryChannel, handler: Any) -> Runner:
    return Runner([make_step("h", "api", handler)], Hooks(), channel, capacity=2)


async def test_the_request_carries_raw_body_bytes_bodies_and_file_contents(channel: MemoryChannel) -> None:
    seen: list[Any] = []

    async def handler(req: Any, ctx: Any) -> Any:
        seen.append(req)
        return None

    runner = api_runner(channel, handler)
    await run_one(runner, invocation("h", {"body": None, "bodyKind": "bytes"}, raw_body=b"\x00\xff"))
    assert seen[-1]["body"] == b"\x00\xff" and seen[-1]["rawBody"] == b"\x00\xff"

    meta = {"filename": "a.bin", "contentType": "application/x-a", "size": 2}
    body = {"title": "t", "up": {**meta, "file": 1}, "many": [{**meta, "file": 0}]}
    inv = invocation(
        "h", {"body": body, "bodyKind": "multipart"}, id="i2", raw_body=b"raw", files=[b"f0", b"f1"]
    )
    await run_one(runner, inv)
    assert seen[-1]["body"] == {
        "title": "t",
        "up": {**meta, "content": b"f1"},
        "many": [{**meta, "content": b"f0"}],
    }
    assert seen[-1]["rawBody"] == b"raw"

    # Protocol 2: the files are ranges of the raw bytes, not copies.
    ranges = [pb.ByteRange(start=3, end=5), pb.ByteRange(start=0, end=3)]
    inv = invocation(
        "h", {"body": body, "bodyKind": "multipart"}, id="i3", raw_body=b"onetw", file_ranges=ranges
    )
    await run_one(runner, inv)
    assert seen[-1]["body"] == {
        "title": "t",
        "up": {**meta, "content": b"one"},
        "many": [{**meta, "content": b"tw"}],
    }
    outside = [pb.ByteRange(start=2, end=9)]
    inv = invocation(
        "h", {"body": body, "bodyKind": "multipart"}, id="i4", raw_body=b"onetw", file_ranges=outside
    )
    assert (
        "multipart file range [2, 9) is outside the 5-byte body" in (await run_one(runner, inv)).error.message
    )
    runner.close()


async def test_a_json_body_left_out_of_the_payload_is_read_from_the_raw_bytes(channel: MemoryChannel) -> None:
    """Protocol 2: the host sends a JSON body once, as the raw bytes; one in the payload is kept."""
    seen: list[Any] = []

    async def handler(req: Any, ctx: Any) -> Any:
        seen.append(req["body"])
        return None

    runner = api_runner(channel, handler)
    raw = '{ "a" :1,\n"é":[true, 12345678901234567890] }'.encode()
    await run_one(runner, invocation("h", {"bodyKind": "json"}, raw_body=raw))
    await run_one(runner, invocation("h", {"body": {"kept": 1}, "bodyKind": "json"}, id="i2", raw_body=raw))
    assert seen == [{"a": 1, "é": [True, 12345678901234567890]}, {"kept": 1}]
    runner.close()


async def test_a_bytes_body_travels_as_body_bytes(channel: MemoryChannel) -> None:
    def handler(req: Any, ctx: Any) -> Any:
        return {"status": 200, "headers": {"content-type": "image/png"}, "body": bytearray(b"\x89PNG")}

    result = await run_one(api_runner(channel, handler), invocation("h", {}))
    assert result.body_bytes == b"\x89PNG" and not result.streamed
    assert json.loads(result.result_json) == {"status": 200, "headers": {"content-type": "image/png"}}


async def test_a_streamed_body_keeps_at_most_the_window_unacknowledged(channel: MemoryChannel) -> None:
    async def handler(req: Any, ctx: Any) -> Any:
        async def parts() -> Any:
            for i in range(20):
                yield f"{i};"

        return {"status": 201, "headers": {"content-type": "text/plain"}, "body": parts()}

    runner, wire = api_runner(channel, handler), Wire()
    runner.start(invocation("h", {}), wire)
    await wire.until(lambda: len(wire.chunks) == WINDOW)
    await asyncio.sleep(0.05)  # nothing more goes out without an ack
    assert len(wire.chunks) == WINDOW
    first = wire.chunks[0]
    assert (first.seq, first.status, json.loads(first.headers_json)) == (
        1,
        201,
        {"content-type": "text/plain"},
    )
    assert all(c.status == 0 and not c.headers_json for c in wire.chunks[1:])
    runner.ack("i1", 3)
    await wire.until(lambda: len(wire.chunks) == WINDOW + 3)
    runner.ack("i1", 20)
    result = await wire.results.wait("i1")
    assert result.streamed and not result.result_json and not result.HasField("error")
    assert [c.seq for c in wire.chunks] == list(range(1, 21))
    assert b"".join(c.data for c in wire.chunks) == "".join(f"{i};" for i in range(20)).encode()
    runner.close()


async def test_a_plain_generator_streams_from_a_worker_thread_and_big_items_are_split(
    channel: MemoryChannel,
) -> None:
    threads: set[str] = set()

    def handler(req: Any, ctx: Any) -> Any:
        def parts() -> Any:
            threads.add(threading.current_thread().name)
            yield b"x" * (MAX_CHUNK * 2 + 1)

        return {"status": 200, "body": parts()}

    runner, wire = api_runner(channel, handler), Wire()
    runner.start(invocation("h", {}), wire)
    result = await wire.results.wait("i1")
    assert result.streamed and [len(c.data) for c in wire.chunks] == [MAX_CHUNK, MAX_CHUNK, 1]
    assert all(name.startswith("step") for name in threads)
    runner.close()


async def test_an_empty_stream_still_sends_its_status_and_an_error_mid_stream_is_the_result(
    channel: MemoryChannel,
) -> None:
    async def handler(req: Any, ctx: Any) -> Any:
        async def parts() -> Any:
            if req["body"] == "fail":
                yield "one"
                raise RuntimeError("broke mid-stream")
            return
            yield

        return {"status": 202, "body": parts()}

    runner, wire = api_runner(channel, handler), Wire()
    runner.start(invocation("h", {"body": None}), wire)
    assert (await wire.results.wait("i1")).streamed
    assert [(c.seq, c.status, c.data) for c in wire.chunks] == [(1, 202, b"")]
    runner.start(invocation("h", {"body": "fail"}, id="i2"), wire)
    failed = await wire.results.wait("i2")
    assert failed.error.type == "RuntimeError" and failed.error.message == "broke mid-stream"
    runner.close()


async def test_cancel_stops_the_stream_and_runs_the_generators_clean_up(channel: MemoryChannel) -> None:
    cleaned = asyncio.Event()

    async def handler(req: Any, ctx: Any) -> Any:
        async def parts() -> Any:
            try:
                for i in range(100):
                    yield f"{i}"
                    await asyncio.sleep(0.01)
            finally:
                cleaned.set()

        return {"status": 200, "body": parts()}

    runner, wire = api_runner(channel, handler), Wire()
    runner.start(invocation("h", {}), wire)
    await wire.until(lambda: len(wire.chunks) >= 2)
    runner.ack("i1", 2)
    runner.cancel("i1")
    await asyncio.wait_for(cleaned.wait(), 5)
    sent = len(wire.chunks)
    await asyncio.sleep(0.05)
    assert len(wire.chunks) == sent and "i1" not in wire.results.got  # nothing more after Cancel
    await runner.drain(5)
    assert runner.in_flight == 0
    runner.close()
