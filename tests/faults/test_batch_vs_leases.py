"""A bulk EmitBatch must not starve a FIFO step's lease or a sidecar's heartbeats.

Hardening item 11: a huge batch once put every one of its publishes in flight at once on
the host's single NATS connection, so the FIFO lease renewal queued behind thousands of
acks, the lease lapsed, and the step stalled (or another host took it over). The host now
bounds batch publishes in flight (``operations.emit.BATCH_PUBLISHES_IN_FLIGHT``).

Here a real host runs the FIFO step of the queues project on a stream of grouped events
while four clients push 12,000 events through the ingress to another topic at once.
The step must keep its lease all along, run every event exactly once in order per group,
every batch event must be stored, and the sidecar must never be dropped for silence.

Without the bound (``BATCH_PUBLISHES_IN_FLIGHT`` made huge) this load already starves the
sidecar's heartbeats ("no word from the host ... dropping the stream"), and often the lease
("lost the lease") and the batches themselves (NATS ack timeouts), on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import nats

from stephost import AsyncClient
from stephost_host import names
from tests.harness import ROOT, HostProcess, eventually

PROJECT = ROOT / "tests" / "projects" / "queues"
LIVE = 9  # the queues project's steps

GROUPS = 4
PER_GROUP = 15  # FIFO events per group
CLIENTS = 4  # bulk producers at once
BATCHES = 12  # EmitBatch messages of BATCH_EVENTS, spread over the clients
BATCH_EVENTS = 1_000

# What the log says when the step's lease is lost (queue/lease.py) or the sidecar link is
# dropped for silence, by the host (link/server.py) or by the sidecar (its connection layer).
LOSSES = ("lost the lease", "not renewed", "stopped answering", "no word from the host")


def uid() -> str:
    return uuid.uuid4().hex[:8]


async def fifo_events(client: AsyncClient, groups: list[str]) -> None:
    """The grouped events, one after another (emit order is the order each group must run in),
    so the step is busy for the whole bulk load."""
    for seq in range(PER_GROUP):
        for group in groups:
            await client.emit("q.fifo", {"group": group, "seq": seq}, message_group_id=group)
        await asyncio.sleep(0.02)


async def bulk(client: AsyncClient, topic: str, batches: int) -> int:
    events = [{"topic": topic, "data": {"n": n}} for n in range(batches * BATCH_EVENTS)]
    receipts = await client.emit_batch(events, batch_size=BATCH_EVENTS)
    return len(receipts)


async def load(target: str, groups: list[str], topic: str) -> list[int | BaseException]:
    """Run the FIFO feed and the bulk producers at once; each producer's receipt count (or error)."""
    clients = [AsyncClient(target, timeout=120) for _ in range(CLIENTS + 1)]
    try:
        per_client = BATCHES // CLIENTS
        bulks = [bulk(c, topic, per_client) for c in clients[1:]]
        _, *results = await asyncio.gather(fifo_events(clients[0], groups), *bulks, return_exceptions=True)
        return results
    finally:
        for c in clients:
            await c.close()


async def stored(nats_url: str, topic: str) -> int:
    """How many events the topic's part of the events stream really holds."""
    nc = await nats.connect(nats_url)
    try:
        subject = names.topic_subject(topic)
        info = await nc.jetstream().stream_info(names.EVENTS_STREAM, subjects_filter=subject)
        return int((info.state.subjects or {}).get(subject, 0))
    finally:
        await nc.close()


def losses(host: HostProcess) -> list[str]:
    return [line for phrase in LOSSES for line in host.log_lines(phrase)]


def fifo_state(host: HostProcess, group: str) -> Any:
    r = httpx.get(f"{host.url}/state/fifo/{group}", timeout=10)
    return r.json() if r.status_code == 200 else None


def test_a_bulk_batch_neither_costs_the_fifo_lease_nor_drops_the_sidecar(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=LIVE)
    eventually(lambda: host.log_lines("took the lease"), what="the FIFO step's lease")
    groups = [f"g{i}-{uid()}" for i in range(GROUPS)]
    topic = f"bulk.{uid()}"

    results = asyncio.run(load(str(host.info["ingress"]), groups, topic))

    assert losses(host) == []
    assert results == [BATCHES // CLIENTS * BATCH_EVENTS] * CLIENTS  # every producer: all stored
    assert asyncio.run(stored(str(host.info["nats"]), topic)) == BATCHES * BATCH_EVENTS
    for group in groups:
        done = eventually(
            lambda g=group: (s := fifo_state(host, g)) and len(s) >= PER_GROUP and s,
            timeout=60,
            what=f"all FIFO events of {group}",
        )
        assert done == list(range(PER_GROUP))  # each exactly once, in emit order
    assert losses(host) == []  # not even while the FIFO backlog drained
    assert len(host.log_lines("took the lease")) == 1  # taken once at start, never again
