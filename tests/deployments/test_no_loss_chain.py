"""No lost events across switches, in three languages: events with idempotency keys go through a
Python → TypeScript → Ruby chain while v2 is deployed, rolled back and promoted, and the OLD
version's TypeScript worker is SIGKILLed mid-drain (right after the flip, events in hand). Every
key reaches the Ruby end, duplicate runs are counted and reported, no dead letters. The v2 plan
counts the backlog of the step v2 removes (a v1 step that holds every event). A 1-second (Ruby) cron
in both versions fires exactly once per tick across the switches: no gaps, no duplicates."""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from stephost.client import Client
from tests.agents.test_agents import _pids_running
from tests.deployments.conftest import PROJECTS, Fleet
from tests.harness import eventually

BEFORE = 100  # sent before the first switch: all of them are in the removed step's backlog
EVENTS = 600  # in all


def _record(fleet: Fleet, ref: str) -> dict[str, Any]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


def _group(fleet: Fleet, name: str) -> list[Any]:
    with Client(fleet.host.sidecar_address, timeout=30) as client:
        return list(client.get_group(name))


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_three_language_chain_loses_nothing_when_an_old_worker_is_killed(fleet: Fleet) -> None:
    agents = {language: fleet.agent(language) for language in ("python", "node", "ruby")}
    first = fleet.cli("deploy", str(PROJECTS / "chain3_v1"))
    assert first.returncode == 0, first.stdout + first.stderr
    v1 = _record(fleet, "1")["versionId"]
    keys = [f"t{i:05d}" for i in range(EVENTS)]
    with Client(fleet.host.sidecar_address, timeout=30) as client:
        for key in keys[:BEFORE]:
            client.emit("tri.start", {"key": key}, idempotency_key=key)
    sent = list(keys[:BEFORE])
    stop = threading.Event()

    def emit() -> None:
        with Client(fleet.host.sidecar_address, timeout=30) as client:
            for key in keys[BEFORE:]:
                client.emit("tri.start", {"key": key}, idempotency_key=key)
                sent.append(key)
                if stop.wait(0.02):
                    return

    emitter = threading.Thread(target=emit, daemon=True)
    switching_from = time.time()
    emitter.start()

    # v2, detached: the moment its pointer flips, the old TypeScript worker is killed mid-drain.
    started = fleet.cli("deploy", str(PROJECTS / "chain3_v2"), "--detach")
    assert started.returncode == 0, started.stdout + started.stderr
    eventually(lambda: _record(fleet, "2")["isActive"], timeout=600, interval=0.2, what="the flip to v2")
    old_ts = _pids_running(str(agents["node"].work / "versions" / v1))
    assert old_ts, "the old TypeScript worker should still be draining"
    for pid in old_ts:
        os.kill(pid, signal.SIGKILL)

    def ended() -> dict[str, Any]:
        r = _record(fleet, "2")
        return r if r["status"] in ("completed", "failed") else {}

    second = eventually(ended, timeout=300, what="deployment #2 to end")
    assert second["status"] == "completed", second
    paused = {(b["topic"], b["step"]): b["pending"] for b in second["plan"]["pausedBacklogs"]}
    assert list(paused) == [("tri.start", "tri-audit")]
    assert BEFORE <= paused[("tri.start", "tri-audit")] <= EVENTS  # nothing the audit took is lost

    for args in [("deploys", "rollback", "1"), ("deploys", "promote", "2")]:
        done = fleet.cli(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    emitter.join(300)
    switching_until = time.time()
    assert sorted(sent) == keys

    def arrived() -> list[dict[str, str]]:
        found = _group(fleet, "tri")
        return found if len(found) == EVENTS else []

    # A killed worker's events come back after their visibility timeout (60 s by default).
    found = eventually(arrived, timeout=400, interval=1.0, what="every key at the end of the chain")
    assert sorted(f["key"] for f in found) == keys
    assert len({f["version"] for f in found}) == 2  # both versions handled some
    runs = _group(fleet, "tri-runs")
    print(f"\nchain: {EVENTS} keys, {len(runs)} runs at the end, {len(runs) - EVENTS} duplicates")
    assert len(runs) >= EVENTS
    dead = httpx.get(
        fleet.host.url + "/__stephost/dlq", headers={"authorization": f"Bearer {fleet.host.secret}"}
    ).json()
    assert dead == []

    # The 1-second cron: every tick of the window fired, and fired once (its trace id names it).
    fired = Counter(int(t["trace"][:8], 16) for t in _group(fleet, "tri-ticks"))
    window = range(math.ceil(switching_from), math.floor(switching_until) + 1)
    gaps = [s for s in window if not fired[s]]
    twice = [s for s in window if fired[s] > 1]
    print(f"cron: {sum(fired[s] for s in window)} runs for {len(window)} ticks across the switches")
    assert not gaps and not twice, f"ticks never fired: {gaps}; fired twice: {twice}"
