"""The link against a real gRPC server on a free port playing the host's part."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from conftest import MemoryChannel

from stephost.errors import HostCallError
from stephost_sidecar.calls import HostCalls, StreamLost
from stephost_sidecar.connection import Connection, Options, Rejected, build_hello
from stephost_sidecar.hooks import Hooks
from stephost_sidecar.loader import LoadedStep, LoadedStream, LoadFailure, Project
from stephost_sidecar.proto import codec, pb, pb_grpc
from stephost_sidecar.runner import Runner


def make_options(target: str) -> Options:
    return Options(target=target, secret="s", sidecar_id="py-1", capacity=4, version="v7")


def test_the_defaults_are_the_protocols(monkeypatch: pytest.MonkeyPatch) -> None:
    from stephost_sidecar.__main__ import options_from, parse_args

    for name in ("STEPHOST_CONNECT", "STEPHOST_CAPACITY"):
        monkeypatch.delenv(name, raising=False)
    options = options_from(parse_args([]))
    assert (options.target, options.capacity) == ("127.0.0.1:7070", 256)  # docs/protocol.md


def test_hello_names_version_steps_streams_failures_and_hooks() -> None:
    project = Project(
        steps=[LoadedStep("a", "event", "steps/a_step.py", {}, '{"name": "a"}', print)],
        streams=[LoadedStream("todo", "steps/todo_stream.py", '{"name": "todo"}')],
        failures=[LoadFailure("steps/b_step.py", "SyntaxError: x", "stack")],
    )
    hello = build_hello(make_options("h:1"), project, ["stream_authenticate"])
    assert (hello.language, hello.sidecar_id, hello.capacity, hello.version) == ("python", "py-1", 4, "v7")
    assert hello.protocol_version == codec.PROTOCOL_VERSION and hello.secret == "s"
    assert [s.name for s in hello.steps] == ["a"] and [s.name for s in hello.streams] == ["todo"]
    assert [(f.file, f.message) for f in hello.load_errors] == [("steps/b_step.py", "SyntaxError: x")]
    assert list(hello.hooks) == ["stream_authenticate"]


async def test_host_calls_resolve_fail_and_are_abandoned_with_the_stream() -> None:
    sent: list[pb.SidecarMessage] = []
    calls = HostCalls(asyncio.get_running_loop(), sent.append)
    ok = calls.state("inv", "get", "g", "k")
    bad = calls.emit("inv", "t", {"x": 1}, None)
    lost = calls.stream("inv", "set", "todo", "g", "i", {"title": "x"})
    assert [m.call.call_id for m in sent] == ["1", "2", "3"]
    assert sent[0].call.state.op == pb.StateCall.GET and sent[1].call.emit.data_json == '{"x":1}'
    calls.answer(pb.CallResult(call_id="1", result_json='{"v": 1}'))
    calls.answer(pb.CallResult(call_id="2", error=pb.StepError(type="InvalidArgument", message="no")))
    assert await ok == {"v": 1}
    with pytest.raises(HostCallError) as err:
        await bad
    assert err.value.type == "InvalidArgument"
    calls.abandon()
    with pytest.raises(StreamLost):
        await lost


async def test_logs_from_a_worker_thread_reach_the_loop() -> None:
    sent: list[pb.SidecarMessage] = []
    arrived = asyncio.Event()

    def send(msg: pb.SidecarMessage) -> None:
        sent.append(msg)
        arrived.set()

    calls = HostCalls(asyncio.get_running_loop(), send)
    await asyncio.to_thread(calls.log, "inv", "info", "hi", {"k": 1})
    await asyncio.wait_for(arrived.wait(), 5)
    assert sent[0].log.message == "hi" and sent[0].log.fields_json == '{"k":1}'


class FakeHost(pb_grpc.SidecarHostServicer):
    """Welcomes (or rejects) the hello, sends one invocation, records what comes back."""

    def __init__(self, reject: bool = False) -> None:
        self.reject = reject
        self.received: asyncio.Queue[pb.SidecarMessage] = asyncio.Queue()

    async def Connect(
        self, request_iterator: AsyncIterator[pb.SidecarBatch], context: Any
    ) -> AsyncIterator[pb.HostBatch]:
        first = await anext(aiter(request_iterator))
        hello = first.messages[0]
        await self.received.put(hello)
        if self.reject:
            yield pb.HostBatch(messages=[pb.HostMessage(rejection=pb.Rejection(code="unauthenticated"))])
            return
        welcome = pb.Welcome(host_id="h", heartbeat_interval_ms=60_000)
        inv = pb.Invocation(invocation_id="i1", step="echo", trace_id="t", payload_json='{"n": 1}')
        yield pb.HostBatch(messages=[pb.HostMessage(welcome=welcome), pb.HostMessage(invocation=inv)])
        async for batch in request_iterator:
            for msg in batch.messages:
                await self.received.put(msg)


async def serve(host: FakeHost) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    pb_grpc.add_SidecarHostServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


async def test_hello_first_then_invocations_are_answered_on_the_stream(channel: MemoryChannel) -> None:
    host = FakeHost()
    server, target = await serve(host)
    options = make_options(target)
    conn = Connection(options, build_hello(options, Project(), []))
    step = LoadedStep("echo", "event", "steps/echo_step.py", {}, "{}", lambda data, ctx: data)
    runner = Runner([step], Hooks(), conn.calls, options.capacity)
    running = asyncio.create_task(conn.run(runner))
    try:
        async with asyncio.timeout(10):
            hello = await host.received.get()
            assert hello.WhichOneof("kind") == "hello" and hello.hello.version == "v7"
            while (msg := await host.received.get()).WhichOneof("kind") != "result":
                pass
        assert msg.result.invocation_id == "i1" and codec.loads(msg.result.result_json) == {"n": 1}
        await conn.stop()
        await asyncio.wait_for(running, 10)
    finally:
        runner.close()
        await server.stop(None)


async def test_a_rejected_hello_ends_the_run() -> None:
    server, target = await serve(FakeHost(reject=True))
    options = make_options(target)
    conn = Connection(options, build_hello(options, Project(), []))
    runner = Runner([], Hooks(), conn.calls, 1)
    try:
        with pytest.raises(Rejected, match="unauthenticated"):
            await asyncio.wait_for(conn.run(runner), 10)
    finally:
        runner.close()
        await server.stop(None)
