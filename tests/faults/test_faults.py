"""Faults with real processes: hosts, sidecar replicas and nats-server die mid-flow, and every
acknowledged emit is still processed (at least once); two hosts share work and cron fires once."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import uuid
from typing import Any

import httpx

from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "scale"
LIVE = 5


def submit(hosts: list[HostProcess], n: int, seconds: float = 0.05) -> list[str]:
    """Submit n jobs round-robin; returns the ids the host acknowledged (202)."""
    accepted = []
    for i in range(n):
        job = uuid.uuid4().hex[:10]
        try:
            r = httpx.post(
                f"{hosts[i % len(hosts)].url}/submit", json={"id": job, "seconds": seconds}, timeout=10
            )
        except httpx.HTTPError:
            continue
        if r.status_code == 202:
            accepted.append(job)
    return accepted


def done(host: HostProcess) -> dict[str, dict[str, Any]]:
    r = httpx.get(f"{host.url}/state/done", timeout=10)
    return {d["id"]: d for d in r.json()} if r.status_code == 200 else {}


def all_processed(host: HostProcess, jobs: list[str], timeout: float = 60) -> dict[str, dict[str, Any]]:
    return eventually(
        lambda: (d := done(host)) and set(jobs) <= set(d) and d,
        timeout=timeout,
        what=f"all {len(jobs)} acknowledged jobs processed",
    )


def replica(host: HostProcess) -> subprocess.Popen[bytes]:
    """A second Python sidecar for the host, dialling in like one in its own container."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stephost_sidecar",
            "--connect",
            host.sidecar_address,
            "--secret",
            host.secret,
            str(PROJECT),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sidecars_of(host: HostProcess, step: str = "process") -> int:
    return len(host.steps()[step]["sidecars"])


def test_two_hosts_and_two_replicas_share_the_work_and_cron_fires_once(start_host: Any) -> None:
    a, b = start_host(PROJECT, live_steps=LIVE), start_host(PROJECT, live_steps=LIVE)
    extra = replica(a)
    try:
        # A process start: on a loaded CI machine it can take longer than a state change.
        eventually(lambda: sidecars_of(a) == 2, timeout=60, what="the second replica on host A")
        jobs = submit([a, b], 60, seconds=0.2)
        assert len(jobs) == 60
        finished = all_processed(a, jobs)
        workers = {d["by"] for d in finished.values()}
        assert len(workers) >= 2, workers  # more than one process shared the queue
        ticks = eventually(
            lambda: (t := httpx.get(f"{a.url}/state/ticks").json()) and len(t) >= 4 and t,
            what="a few cron ticks",
        )
        assert max(collections.Counter(ticks).values()) == 1  # no second fired twice across two hosts
    finally:
        extra.kill()
        extra.wait()


def test_killing_a_host_mid_flow_loses_nothing(start_host: Any) -> None:
    a, b = start_host(PROJECT, live_steps=LIVE), start_host(PROJECT, live_steps=LIVE)
    jobs = submit([a], 30, seconds=0.5)
    eventually(lambda: len(done(b)) >= 3, what="work under way")
    os.killpg(a.proc.pid, signal.SIGKILL)  # the host and its sidecars, no goodbye
    finished = all_processed(b, jobs)
    assert {d["attempt"] for d in finished.values()} >= {1}


def test_killing_a_sidecar_replica_mid_flow_loses_nothing(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=LIVE)
    extra = replica(host)
    try:
        eventually(lambda: sidecars_of(host) == 2, what="the second replica")
        jobs = submit([host], 40, seconds=0.3)
        eventually(lambda: len(done(host)) >= 3, what="work under way")
        extra.send_signal(signal.SIGKILL)
        all_processed(host, jobs)
    finally:
        extra.kill()
        extra.wait()


def test_nats_server_restart_mid_flow_loses_nothing(start_host: Any, nats_server: NatsServer) -> None:
    host = start_host(PROJECT, live_steps=LIVE)
    before = submit([host], 20, seconds=0.2)
    nats_server.kill()  # SIGKILL: acknowledged events must already be on disk
    nats_server.restart()
    eventually(
        lambda: submit([host], 1) != [], timeout=30, what="the host to emit again after NATS came back"
    )
    after = submit([host], 20, seconds=0.05)
    all_processed(host, before + after)
