"""Past one machine: the host on a 3-node JetStream cluster (R3 streams and buckets) loses
nothing when a NATS node dies mid-flow, whether or not it is the node the host talks to."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from stephost_host import names
from stephost_host.config import ConfigError
from stephost_host.natsio.jetstream import server_urls
from tests.faults.cluster import NatsCluster, Node
from tests.harness import ROOT, HostProcess, eventually

PROJECT = ROOT / "tests" / "projects" / "slow_events"
HOST_CLIENT = "stephost-host"  # the name the host's NATS connection gives itself
EVENTS = 200
POSTERS = 8
REPLICATED = [
    names.EVENTS_STREAM,
    names.DLQ_STREAM,
    *(
        f"KV_{bucket}"
        for bucket in (
            names.STATE_BUCKET,
            names.CRON_LOCK_BUCKET,
            names.STREAMS_BUCKET,
            names.LEASE_BUCKET,
            names.FAILURES_BUCKET,
        )
    ),
]


def test_nats_url_lists_servers_separated_by_commas() -> None:
    assert server_urls("nats://a:4222") == ["nats://a:4222"]
    assert server_urls(" nats://a:4222, nats://b:4222 ,") == ["nats://a:4222", "nats://b:4222"]
    with pytest.raises(ConfigError, match="names no NATS server"):
        server_urls(" , ")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    with NatsCluster(tmp_path / "nats") as c:
        yield c


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """slow_events with a shorter visibility timeout. A delivery lost with the dying node
    stays owed to its consumer until that timeout ends (60 + 30 s as shipped), and 20 s
    keeps the test short. The handler timeout (15 s) still outlasts a leader election,
    during which state writes wait."""
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    step = copy / "steps" / "do_work_step.py"
    shipped = '{"queue": {"maxRetries": 5}, "handler": {"timeout": 60}}'
    assert shipped in step.read_text()
    step.write_text(
        step.read_text().replace(
            shipped, '{"queue": {"maxRetries": 5, "visibilityTimeout": 20}, "handler": {"timeout": 15}}'
        )
    )
    return copy


@pytest.fixture
def host(tmp_path: Path, project: Path, cluster: NatsCluster) -> Iterator[HostProcess]:
    proc = HostProcess(project, tmp_path / "host", cluster.url, env={"STEPHOST_REPLICAS": "3"})
    try:
        yield proc.wait_ready(live_steps=3)
    finally:
        proc.stop()


def replicated(cluster: NatsCluster) -> None:
    """Every stream and bucket is R3 with all three peers current."""
    for stream in REPLICATED:
        eventually(lambda s=stream: cluster.stream_replicas(s) == (3, 3), what=f"{stream} on 3 current peers")


def pick(cluster: NatsCluster, victim: str) -> Node:
    connected = cluster.connected_node(HOST_CLIENT)
    if victim == "connected":
        return connected
    return next(n for n in cluster.nodes if n is not connected)


@pytest.mark.parametrize("victim", ["connected", "other"])
def test_a_nats_node_killed_mid_flow_loses_nothing(
    cluster: NatsCluster, host: HostProcess, victim: str
) -> None:
    replicated(cluster)
    target = pick(cluster, victim)
    jobs = [uuid.uuid4().hex[:12] for _ in range(EVENTS)]
    traces: dict[str, str] = {}

    def post(http: httpx.Client, job: str) -> tuple[str, float, int | None]:
        started = time.monotonic()
        try:
            r = http.post("/work", json={"id": job, "seconds": 0})
        except httpx.HTTPError:  # the emit was in flight on the dead node: no answer, no promise
            return job, started, None
        traces[job] = r.headers.get("x-trace-id", "")
        return job, started, r.status_code

    with host.client() as http, ThreadPoolExecutor(POSTERS) as pool:
        futures = [pool.submit(post, http, job) for job in jobs]
        eventually(lambda: sum(f.done() for f in futures) >= EVENTS // 4, what="a quarter of the posts")
        cluster.kill(target)
        killed_at = time.monotonic()
        results = [f.result() for f in futures]

    accepted = [job for job, _, code in results if code == 202]
    after_kill = [job for job, started, code in results if code == 202 and started > killed_at]
    # Emits wait out the election; only one in flight to the dead node itself may get no answer.
    assert len(accepted) >= EVENTS - POSTERS, f"only {len(accepted)}/{EVENTS} accepted"
    assert after_kill, "no emit was accepted after the node died"
    if victim == "connected":
        assert cluster.connected_node(HOST_CLIENT) is not target  # the client failed over

    pending = set(accepted)
    with host.client() as http:

        def all_processed() -> bool:
            for job in list(pending):
                r = http.get(f"/work/work/{job}")
                if r.status_code == 200 and (r.json() or {}).get("done") is True:
                    pending.discard(job)
            assert not pending, (
                f"{len(pending)} of {len(accepted)} accepted events not processed yet "
                f"(trace ids {sorted(traces[j] for j in pending)})"
            )
            return True

        eventually(all_processed, timeout=40, interval=0.2, what="every accepted event processed")

        def no_dead_letters() -> bool:
            r = http.get("/__stephost/dlq", headers={"authorization": f"Bearer {host.secret}"})
            assert r.status_code == 200, r.text  # a stream still electing its leader answers late
            assert r.json() == [], r.json()
            return True

        eventually(no_dead_letters, what="no dead letters")

    # The dead node comes back on its store and catches up; every stream is whole again.
    cluster.restart(target)
    replicated(cluster)
