"""Big request bodies, many at once, never drop the sidecar link.

Twenty concurrent 15 MB requests once made the host pack 300 MB into one message to the
sidecar (64 MB is the limit), so the stream was torn down, every request in flight got 502
and the host kept 1.5 GB. Now: past ``max_body_bytes`` a request is refused with 413 before
its body is read; under the limit, the writers cap every batch by size; memory returns.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from stephost_host.config import Settings
from stephost_host.errors import PayloadTooLarge
from stephost_host.link.session import Session
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "big_bodies"
CONCURRENT = 20
BODY = json.dumps("x" * (15 * 1024 * 1024)).encode()  # a 15 MB JSON string
DEFAULT_LIMIT = 10 * 1024 * 1024  # max_body_bytes' documented default
MB = 1024 * 1024


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    yield server
    server.stop()


def start(nats: NatsServer, tmp: Path, env: dict[str, str] | None = None) -> HostProcess:
    return HostProcess(PROJECT, tmp, nats.url, env=env).wait_ready(2)


def burst(host: HostProcess, path: str, count: int = CONCURRENT) -> list[httpx.Response]:
    def post(_: int) -> httpx.Response:
        headers = {"content-type": "application/json"}
        return httpx.post(host.url + path, content=BODY, headers=headers, timeout=120)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(post, range(count)))


def assert_link_never_dropped(host: HostProcess) -> None:
    """A normal request works right after, on the sidecar connection the host started with."""
    r = httpx.post(host.url + "/size", json="abc", timeout=30)
    assert r.status_code == 200 and r.json() == {"size": 3}
    assert len(host.log_lines("python sidecar", "connected from")) == 1, host.log()[-3000:]
    assert host.log_lines("disconnected") == []


def rss_mb(host: HostProcess) -> float:
    for line in Path(f"/proc/{host.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS for the host")


def test_bodies_over_the_default_limit_get_413_before_reaching_the_sidecar(
    nats: NatsServer, tmp_path: Path
) -> None:
    host = start(nats, tmp_path)
    try:
        responses = burst(host, "/size")
        assert [r.status_code for r in responses] == [413] * CONCURRENT
        for r in responses:
            body = r.json()
            assert body["limit"] == DEFAULT_LIMIT and body["setting"] == "max_body_bytes"
            assert "max_body_bytes" in body["error"] and body["traceId"] == r.headers["x-trace-id"]
        # Chunked (no Content-Length): counted while it streams in, refused the same way.
        chunks = (BODY[i : i + MB] for i in range(0, len(BODY), MB))
        r = httpx.post(host.url + "/size", content=chunks, timeout=60)
        assert r.status_code == 413 and r.json()["limit"] == DEFAULT_LIMIT
        assert_link_never_dropped(host)
    finally:
        host.stop()


def test_many_big_bodies_under_a_raised_limit_all_cross_the_link(nats: NatsServer, tmp_path: Path) -> None:
    # The default heartbeat (the harness's 1 s is for fault tests that wait for a silence):
    # heartbeats queue behind the bodies on the link. With 1 s a loaded run once lost the link
    # mid-burst (a 502); with 200 ms both ends dropped it for silence in every run.
    heartbeat_ms = Settings.model_fields["heartbeat_ms"].default
    env = {"STEPHOST_MAX_BODY_BYTES": str(16 * MB), "STEPHOST_HEARTBEAT_MS": str(heartbeat_ms)}
    host = start(nats, tmp_path, env)
    try:
        assert httpx.post(host.url + "/size", json="warm", timeout=30).status_code == 200
        before = rss_mb(host)
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], rss_mb(host))

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            responses = burst(host, "/size")
            # Big results too: the sidecar's writer spreads them over several messages.
            echoed = burst(host, "/echo", 5)
        finally:
            done.set()
            sampler.join()
        failed = [(i, r.status_code, r.text[:300]) for i, r in enumerate(responses) if r.status_code != 200]
        assert not failed, (failed, host.log()[-4000:])
        assert all(r.json() == {"size": 15 * MB} for r in responses)
        assert [r.status_code for r in echoed] == [200] * 5 and all(r.content == BODY for r in echoed)
        assert_link_never_dropped(host)
        # Memory comes back once the burst is over (a generous bound: allocators keep some).
        eventually(
            lambda: rss_mb(host) < before + 200,
            30,
            what=f"host RSS back near {before:.0f} MB (peak {peak[0]:.0f} MB, now {rss_mb(host):.0f} MB)",
        )
    finally:
        host.stop()


async def test_an_invocation_too_big_for_one_message_fails_alone() -> None:
    """The host's writer: the invocation's caller gets PayloadTooLarge (HTTP 413), the stream lives."""

    async def no_calls(*_: object) -> None:
        return None

    session = Session(pb.Hello(sidecar_id="py-1", language="python", capacity=2), "peer", no_calls)
    deadline = asyncio.get_running_loop().time() + 60
    _, big = session.invoke("size", "t1", "x" * codec.MAX_MESSAGE_BYTES, 1, deadline)
    small_id, _ = session.invoke("size", "t2", '"ok"', 1, deadline)
    session.out.put_nowait(None)  # end the outgoing stream after what is queued
    sent = [m async for frame in session.outgoing() for m in pb.HostBatch.FromString(frame).messages]
    assert [m.invocation.trace_id for m in sent] == ["t2"]
    with pytest.raises(PayloadTooLarge, match="over the sidecar link's limit"):
        await big
    assert list(session.inflight) == [small_id] and not session.closed  # its slot is free again
