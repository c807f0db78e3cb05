"""What one message costs on a bidirectional gRPC stream in Python, per transport.

python -m bench.link_transport [--messages 3000] [--in-flight 32]

The sidecar link is one such stream (the host serves it with grpc's asyncio API, the Python
sidecar dials it with the same). This measures the bare transport with an echo server: a round
trip with one message in flight (what an emit waits for), and the CPU per message with many in
flight (what a busy link pays), for grpc's asyncio API and, when it is installed, grpclib (HTTP/2
in pure Python on the event loop, no threads). Each pair is a server process and a client
process; the CPU is theirs (user+sys), per message echoed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.cpu import cpu_seconds

METHOD = "/bench.Echo/Connect"
PAYLOAD = b"x" * 300  # about an order's emit call on the link
WARM_UP = 200
_WRITERS: set[asyncio.Task[None]] = set()  # the grpclib clients' writer tasks


def _raw_codec() -> Any:
    from grpclib.encoding.base import CodecBase

    class Raw(CodecBase):
        __content_subtype__ = "proto"

        def encode(self, message: Any, message_type: Any) -> bytes:
            return message  # type: ignore[no-any-return]

        def decode(self, data: bytes, message_type: Any) -> Any:
            return data

    return Raw()


async def _serve_grpc() -> None:
    import grpc

    async def echo(requests: Any, _context: Any) -> Any:
        async for message in requests:
            yield message

    server = grpc.aio.server()
    handler = grpc.stream_stream_rpc_method_handler(echo)  # bytes in, bytes out
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("bench.Echo", {"Connect": handler}),)
    )
    print(server.add_insecure_port("127.0.0.1:0"), flush=True)
    await server.start()
    await server.wait_for_termination()


async def _serve_grpclib() -> None:
    from grpclib.const import Cardinality, Handler
    from grpclib.server import Server

    async def echo(stream: Any) -> None:
        async for message in stream:
            await stream.send_message(message)

    class Echo:
        def __mapping__(self) -> dict[str, Handler]:
            return {METHOD: Handler(echo, Cardinality.STREAM_STREAM, bytes, bytes)}

    server = Server([Echo()], codec=_raw_codec())
    await server.start("127.0.0.1", 0)
    print(server._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
    await server.wait_closed()


Send = Callable[[bytes], None]
Receive = Callable[[], Awaitable[Any]]


async def _dial_grpc(port: int) -> tuple[Send, Receive]:
    import grpc

    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def outgoing() -> Any:
        while True:
            yield await queue.get()

    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    call = channel.stream_stream(METHOD)(outgoing())
    return queue.put_nowait, call.read


async def _dial_grpclib(port: int) -> tuple[Send, Receive]:
    from grpclib.client import Channel
    from grpclib.const import Cardinality

    stream = Channel("127.0.0.1", port, codec=_raw_codec()).request(
        METHOD, Cardinality.STREAM_STREAM, bytes, bytes
    )
    await stream.__aenter__()
    await stream.send_request()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def write() -> None:
        while True:
            await stream.send_message(await queue.get())

    # The loop holds tasks weakly: kept here, the writer cannot be collected mid-run.
    _WRITERS.add(asyncio.get_running_loop().create_task(write()))
    return queue.put_nowait, stream.recv_message


async def _client(kind: str, port: int, server_pid: int, messages: int, in_flight: int) -> None:
    send, receive = await (_dial_grpc if kind == "grpc" else _dial_grpclib)(port)
    for _ in range(WARM_UP):
        send(PAYLOAD)
        await receive()

    def spent() -> tuple[float, float]:
        return cpu_seconds(os.getpid()), cpu_seconds(server_pid)

    trips = []
    before = spent()
    for _ in range(messages):
        started = time.perf_counter()
        send(PAYLOAD)
        await receive()
        trips.append(time.perf_counter() - started)
    after = spent()
    us = [(a - b) / messages * 1e6 for a, b in zip(after, before, strict=True)]
    print(f"{statistics.median(trips) * 1e6:.0f} {us[0]:.0f} {us[1]:.0f}", end=" ")

    many = messages * 5
    before, started = spent(), time.perf_counter()
    for _ in range(in_flight):
        send(PAYLOAD)
    for sent in range(in_flight, many + in_flight):
        await receive()
        if sent < many:
            send(PAYLOAD)
    after, wall = spent(), time.perf_counter() - started
    us = [(a - b) / many * 1e6 for a, b in zip(after, before, strict=True)]
    print(f"{many / wall:.0f} {us[0]:.0f} {us[1]:.0f}", flush=True)


def _run(coro: Awaitable[None]) -> None:
    try:
        import uvloop  # what the host and the sidecar run on
    except ImportError:
        asyncio.run(coro)  # type: ignore[arg-type]
    else:
        uvloop.run(coro)  # type: ignore[arg-type]


def _pair(server: str, client: str, messages: int, in_flight: int) -> list[str]:
    me = [sys.executable, "-m", "bench.link_transport"]
    serving = subprocess.Popen([*me, "--serve", server], stdout=subprocess.PIPE, text=True)
    try:
        assert serving.stdout is not None
        port = serving.stdout.readline().strip()
        if not port.isdigit():
            raise SystemExit(f"the {server} echo server did not start")
        args = ["--client", client, "--port", port, "--server-pid", str(serving.pid)]
        out = subprocess.run(
            [*me, *args, "--messages", str(messages), "--in-flight", str(in_flight)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout
        return out.split()
    finally:
        serving.kill()
        serving.wait()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.link_transport")
    p.add_argument(
        "--messages", type=int, default=3000, help="round trips one at a time (x5 with many in flight)"
    )
    p.add_argument("--in-flight", type=int, default=32)
    p.add_argument("--serve", choices=("grpc", "grpclib"), help=argparse.SUPPRESS)
    p.add_argument("--client", choices=("grpc", "grpclib"), help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        _run(_serve_grpc() if args.serve == "grpc" else _serve_grpclib())
        return
    if args.client:
        _run(_client(args.client, args.port, args.server_pid, args.messages, args.in_flight))
        return

    pairs = [("grpc", "grpc")]
    try:
        import grpclib  # noqa: F401
    except ImportError:
        print(
            "grpclib is not installed: only grpc's asyncio API is measured (pip install grpclib to compare)"
        )
    else:
        pairs += [("grpc", "grpclib"), ("grpclib", "grpclib")]
    k = args.in_flight
    print(
        f"{'server / client':22} {'1 in flight: p50 us':>20} {'client CPU us':>14} {'server CPU us':>14}"
        f" {f'{k} in flight: msg/s':>20} {'client CPU us':>14} {'server CPU us':>14}"
    )
    for server, client in pairs:
        row = _pair(server, client, args.messages, k)
        print(
            f"{server + ' / ' + client:22} {row[0]:>20} {row[1]:>14} {row[2]:>14} {row[3]:>20} {row[4]:>14} {row[5]:>14}"
        )
    print("  CPU is per message echoed (user+sys of each process); one stream, 300-byte messages")


if __name__ == "__main__":
    main()
