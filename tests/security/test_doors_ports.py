"""A host whose HTTP, sidecar or ingress port is taken exits with a clear message before it
touches NATS, and two hosts never share a gRPC port (grpc's default SO_REUSEPORT is off)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path
from typing import Any

import nats
import pytest

from tests.harness import ROOT, STEPHOST, NatsServer

PROJECT = ROOT / "tests" / "projects" / "clash"


def second_host(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`stephost start` expected to refuse; no --nats-url unless given: an embedded server."""
    cmd = [*STEPHOST, "start", str(PROJECT), "--no-sidecars", "--state-dir", str(state)]
    cmd += ["--port", "0", "--sidecar-port", "0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def stream_names(url: str) -> list[str]:
    async def names() -> list[str]:
        nc = await nats.connect(url)
        try:
            return [s.config.name for s in await nc.jetstream().streams_info()]
        finally:
            await nc.close()

    return asyncio.run(names())


def test_a_taken_sidecar_port_stops_a_second_host_before_it_creates_anything(
    start_host: Any, tmp_path: Path
) -> None:
    first = start_host(PROJECT, live_steps=0, args=["--no-sidecars"])
    port = int(first.sidecar_address.rsplit(":", 1)[1])
    # The second host's own (fresh) NATS: nothing may be created in it.
    fresh = NatsServer(tmp_path / "fresh-nats")
    try:
        done = second_host(tmp_path / "second", "--sidecar-port", str(port), "--nats-url", fresh.url)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"cannot listen for sidecars on 127.0.0.1:{port}" in done.stderr
        assert "sidecar_port" in done.stderr and "--sidecar-port" in done.stderr
        assert stream_names(fresh.url) == []
    finally:
        fresh.stop()
    # The first host still owns its port: every sidecar connection goes to it.
    assert first.proc.poll() is None


def test_a_taken_ingress_port_stops_the_host_before_the_embedded_nats_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = second_host(tmp_path / "state", "--ingress-port", str(port))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot listen for the gRPC ingress on 127.0.0.1:{port}" in done.stderr
    assert "ingress_port" in done.stderr
    assert not (tmp_path / "state" / "nats" / "jetstream").exists()  # the embedded store


@pytest.mark.parametrize("via", ["plain socket", "another host"])
def test_a_taken_http_port_stops_the_host_before_the_embedded_nats_starts(
    tmp_path: Path, start_host: Any, via: str
) -> None:
    with socket.socket() as taken:
        if via == "plain socket":
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
        else:
            first = start_host(PROJECT, live_steps=0, args=["--no-sidecars"])
            port = int(first.url.rsplit(":", 1)[1])
        done = second_host(tmp_path / "state", "--port", str(port))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot listen for HTTP on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert not (tmp_path / "state" / "nats" / "jetstream").exists()  # the embedded store
