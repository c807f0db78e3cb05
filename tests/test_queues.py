"""Queue semantics: delays, typed retries, FIFO groups, visibility config."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.harness import ROOT, eventually

PROJECT = ROOT / "tests" / "projects" / "queues"


def uid() -> str:
    return uuid.uuid4().hex[:8]


def ok_json(url: str) -> Any:
    r = httpx.get(url, timeout=10)
    return r.json() if r.status_code == 200 else None


def test_delay_postpones_the_first_delivery_and_is_not_an_attempt(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=3)
    job = uid()
    assert httpx.post(f"{host.url}/emit/q.delayed", json={"id": job}).status_code == 202
    done = eventually(lambda: ok_json(f"{host.url}/state/delayed/{job}"), timeout=20)
    assert done["waited"] >= 1.9 and done["attempt"] == 1


def test_fifo_groups_run_in_emit_order_one_at_a_time_across_two_hosts(start_host: Any) -> None:
    hosts = [start_host(PROJECT, live_steps=4), start_host(PROJECT, live_steps=4)]
    groups = [f"g{i}-{uid()}" for i in range(3)]
    per_group = 8
    for seq in range(per_group):
        for n, group in enumerate(groups):
            body = {"group": group, "seq": seq, "failOnce": seq == 3}
            r = httpx.post(f"{hosts[(seq + n) % 2].url}/emit/q.fifo", json=body)
            assert r.status_code == 202, r.text
    url = hosts[0].url
    for group in groups:
        done = eventually(
            lambda g=group: (s := ok_json(f"{url}/state/fifo/{g}")) and len(s) >= per_group and s,
            timeout=60,
            what=f"all events of {group}",
        )
        assert done == list(range(per_group))  # emit order, each exactly once, the retried one in place
    for group in groups:
        for seq in range(per_group):
            assert ok_json(f"{url}/state/fifo-violations/{group}-{seq}") is None
    assert ok_json(f"{url}/state/fifo-peak/groups") > 1  # different groups did run in parallel


def test_emit_to_a_fifo_subscriber_needs_a_group(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=4)
    r = httpx.post(f"{host.url}/emit/q.fifo", json={"seq": 0})
    assert r.status_code == 400
    assert "has FIFO subscribers (q-fifo): emit needs a messageGroupId" in r.json()["error"]
