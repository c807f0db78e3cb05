"""No lost events across switches: events emitted through the ingress (with idempotency keys)
while a two-step chain is deployed, rolled back and promoted all reach the end of the chain,
handled by whichever version was active when each was dispatched; no dead letters."""

from __future__ import annotations

import threading

import httpx
import pytest

from stephost.client import Client
from tests.deployments.conftest import PROJECTS, Fleet
from tests.harness import eventually

EVENTS = 600


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_events_through_switches_all_arrive(fleet: Fleet) -> None:
    fleet.agent("python")
    assert fleet.cli("deploy", str(PROJECTS / "chain_v1")).returncode == 0
    sent: list[str] = []
    stop = threading.Event()

    def emit() -> None:
        with Client(fleet.host.sidecar_address, timeout=30) as client:
            for i in range(EVENTS):
                key = f"k{i:05d}"
                client.emit("chain.start", {"key": key}, idempotency_key=key)
                sent.append(key)
                if stop.wait(0.02):
                    return

    emitter = threading.Thread(target=emit, daemon=True)
    emitter.start()
    for args in [
        ("deploy", str(PROJECTS / "chain_v2")),
        ("deploys", "rollback"),
        ("deploys", "promote", "2"),
    ]:
        done = fleet.cli(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    emitter.join(300)
    assert len(sent) == EVENTS

    def arrived() -> list[dict[str, str]]:
        with Client(fleet.host.sidecar_address, timeout=30) as client:
            found = client.get_group("chain")
        return found if len(found) == EVENTS else []

    found = eventually(arrived, timeout=300, interval=1.0, what="every event at the end of the chain")
    assert sorted(f["key"] for f in found) == sorted(sent)
    assert len({f["version"] for f in found}) == 2  # both versions handled some
    dead = httpx.get(
        fleet.host.url + "/__stephost/dlq", headers={"authorization": f"Bearer {fleet.host.secret}"}
    ).json()
    assert dead == []
