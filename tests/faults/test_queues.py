"""Queue semantics: delays, typed retries, FIFO groups, visibility config."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from typing import Any

import httpx
import nats

from stephost_host import names
from tests.harness import ROOT, STEPHOST, eventually

PROJECT = ROOT / "tests" / "projects" / "queues"
LIVE = 9


def uid() -> str:
    return uuid.uuid4().hex[:8]


def ok_json(url: str) -> Any:
    r = httpx.get(url, timeout=10)
    return r.json() if r.status_code == 200 else None


def test_delay_postpones_the_first_delivery_and_is_not_an_attempt(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=LIVE)
    job = uid()
    assert httpx.post(f"{host.url}/emit/q.delayed", json={"id": job}).status_code == 202
    done = eventually(lambda: ok_json(f"{host.url}/state/delayed/{job}"), timeout=20)
    assert done["waited"] >= 1.9 and done["attempt"] == 1


def test_a_delay_survives_a_host_restart(start_host: Any) -> None:
    first = start_host(PROJECT, live_steps=LIVE)
    job = uid()
    assert httpx.post(f"{first.url}/emit/q.delayed", json={"id": job}).status_code == 202
    assert first.stop() == 0  # gone before the event is due
    second = start_host(PROJECT, live_steps=LIVE)
    # 60 s: on a loaded CI machine the new host's consumer and sidecar can take 20 s to start.
    done = eventually(lambda: ok_json(f"{second.url}/state/delayed/{job}"), timeout=60)
    assert done["waited"] >= 1.9


def test_fifo_groups_run_in_emit_order_one_at_a_time_across_two_hosts(start_host: Any) -> None:
    hosts = [start_host(PROJECT, live_steps=LIVE), start_host(PROJECT, live_steps=LIVE)]
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
    host = start_host(PROJECT, live_steps=LIVE)
    r = httpx.post(f"{host.url}/emit/q.fifo", json={"seq": 0})
    assert r.status_code == 400
    assert "has FIFO subscribers (q-fifo): emit needs a messageGroupId" in r.json()["error"]


def dlq(host: Any, path: str = "", **kwargs: Any) -> httpx.Response:
    auth = {"authorization": f"Bearer {host.secret}"}
    if "json" in kwargs:
        return httpx.post(f"{host.url}/__stephost/dlq{path}", headers=auth, timeout=30, **kwargs)
    return httpx.get(f"{host.url}/__stephost/dlq{path}", headers=auth, timeout=30, **kwargs)


def test_dead_letters_are_listed_shown_replayed_to_their_step_only_and_discarded(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=LIVE)
    job, other = uid(), uid()
    r = httpx.post(f"{host.url}/emit/q.doomed", json={"id": job})
    trace = r.headers["x-trace-id"]

    def letter(key: str) -> dict[str, Any] | None:
        found = dlq(host, params={"step": "q-doomed"}).json()
        return next((d for d in found if d["data"]["id"] == key), None)

    dead = eventually(lambda: letter(job), what="the dead letter")
    assert dead["attempts"] == 2 and dead["traceId"] == trace and dead["topic"] == "q.doomed"
    assert dead["firstFailedAt"] < dead["lastFailedAt"]
    assert dead["error"]["type"] == "RuntimeError" and "not healed yet" in dead["error"]["message"]
    assert dlq(host, f"/{dead['id']}").json() == dead
    assert dlq(host, "/999999").status_code == 404
    assert ok_json(f"{host.url}/state/witness/{job}") == 1

    httpx.post(f"{host.url}/heal/{job}")
    assert dlq(host, "/replay", json={"ids": [dead["id"]]}).json() == {"replayed": [dead["id"]]}
    healed = eventually(lambda: ok_json(f"{host.url}/state/healed/{job}"), what="the replayed event")
    assert healed["traceId"] == trace
    assert letter(job) is None
    assert ok_json(f"{host.url}/state/witness/{job}") == 1  # the other subscriber did not see it again

    httpx.post(f"{host.url}/emit/q.doomed", json={"id": other})
    eventually(lambda: letter(other), what="a second dead letter")
    assert dlq(host, "/discard", json={"step": "q-doomed"}).json()["discarded"]
    assert letter(other) is None
    assert dlq(host, "/discard", json={}).status_code == 400


def test_a_retried_handler_does_not_emit_twice(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=LIVE)
    job = uid()
    httpx.post(f"{host.url}/emit/q.dedupe", json={"id": job})
    # Attempt 1 emitted and failed; attempt 2 emitted the same event again and succeeded.
    assert eventually(lambda: ok_json(f"{host.url}/state/dedupe-retried/{job}"), what="the retry") == 2
    assert eventually(lambda: ok_json(f"{host.url}/state/after/{job}")) == 1
    assert asyncio.run(stored_events(host.info["nats"], "q.after", job)) == 1  # the repeat was dropped


async def stored_events(url: str, topic: str, job: str) -> int:
    """How many events for this job the topic's stream really holds."""
    nc = await nats.connect(url)
    try:
        sub = await nc.jetstream().subscribe(names.topic_subject(topic), ordered_consumer=True)
        count = 0
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except TimeoutError:
                return count
            count += json.loads(msg.data)["id"] == job
    finally:
        await nc.close()


def test_dlq_command_lists_shows_replays_and_discards(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=LIVE)

    def dlq_cmd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*STEPHOST, "dlq", *args, "--state-dir", str(host.state_dir)],
            capture_output=True,
            text=True,
            timeout=30,
        )

    jobs = [uid(), uid()]
    for job in jobs:
        httpx.post(f"{host.url}/emit/q.doomed", json={"id": job})
    eventually(lambda: dlq_cmd("list", "--step", "q-doomed").stdout.count("not healed yet") == 2)
    listed = json.loads(dlq_cmd("list", "--json").stdout)
    ids = {d["data"]["id"]: d["id"] for d in listed}
    shown = json.loads(dlq_cmd("show", str(ids[jobs[0]])).stdout)
    assert shown["data"]["id"] == jobs[0] and shown["step"] == "q-doomed"
    httpx.post(f"{host.url}/heal/{jobs[0]}")
    replay = dlq_cmd("replay", str(ids[jobs[0]]))
    assert replay.returncode == 0 and f"replayed 1 dead letter(s): {ids[jobs[0]]}" in replay.stdout
    eventually(lambda: ok_json(f"{host.url}/state/healed/{jobs[0]}"))
    assert "discarded 1 dead letter(s)" in dlq_cmd("discard", "--all").stdout
    assert "0 dead letter(s)" in dlq_cmd("list").stdout
    refused = dlq_cmd("replay")
    assert refused.returncode == 1 and "needs ids, --step STEP or --all" in refused.stderr


def test_an_oversized_emit_is_refused_and_the_host_keeps_working(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=LIVE)
    r = httpx.post(f"{host.url}/emit/q.delayed", json={"id": uid(), "blob": "x" * 1_100_000}, timeout=30)
    assert r.status_code == 400 and "emit data is" in r.json()["error"] and "max_payload" in r.json()["error"]
    job = uid()
    assert httpx.post(f"{host.url}/emit/q.delayed", json={"id": job}).status_code == 202
    eventually(lambda: ok_json(f"{host.url}/state/delayed/{job}"), timeout=20)
