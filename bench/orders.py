"""Motia's benchmark flow (bench/projects/orders): POST /orders -> order.created -> an event
step writes state and emits order.done -> a final event step writes state.

Per sidecar language, per stephost code (this checkout, and the ``--baseline`` one), per
NATS fsync setting: orders/s, order latency p50/p99 and the CPU milliseconds one order
costs across the host, nats-server and the sidecars, at each connection count.

An order's latency runs from its api handler's start (``t0`` in the order, stamped by the
step) to the moment NATS stored its final state entry (that entry's timestamp): the whole
flow, both queue hops included. Orders/s is completed orders over first start to last store.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from bench import cpu
from bench.http_load import wrk
from bench.procs import ROOT, Code, start_host
from stephost_host import names
from stephost_host.natsio.embedded import EmbeddedNats

PROJECTS = ROOT / "bench" / "projects" / "orders"
SCRIPT = ROOT / "bench" / "post_order.lua"
DONE_GROUP = "orders-done"  # the final step's state group
LANGUAGES = ("python", "node", "ruby")


@dataclass(frozen=True)
class OrderRun:
    orders: int
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu: cpu.CpuSample  # seconds over the run
    load: Load  # how busy the machine and the host's busiest thread were under wrk

    @property
    def cpu_ms_per_order(self) -> float:
        return self.cpu.total * 1000 / max(self.orders, 1)


@dataclass(frozen=True)
class Load:
    """Shares of the time wrk ran: of every core, the machine's busy time (anything running)
    and the time the hypervisor gave our cores to another guest (a shared machine's noise: the
    same code runs slower when it is high); of one core, the host's busiest thread's (its event
    loop). A thread near 100% while the machine has cores to spare is what bounds the rate."""

    machine_busy_pct: float
    host_thread_pct: float
    stolen_pct: float


class LoadMeter:
    def __init__(self, host_pid: int) -> None:
        self.host_pid = host_pid
        self.wall = time.monotonic()
        self.machine = cpu.machine_seconds()
        self.threads = cpu.host_threads_cpu_seconds(host_pid)

    def read(self) -> Load:
        wall = time.monotonic() - self.wall
        machine = (cpu.machine_seconds() - self.machine).percent_of(wall)
        thread = cpu.busiest_thread_seconds(self.threads, cpu.host_threads_cpu_seconds(self.host_pid))
        return Load(machine.busy, 100 * thread / wall, machine.stolen)


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


class DoneOrders:
    """Every final state entry written from now on: (t0 ms, stored ms) per order."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float]] = []
        self._nc: nats.NATS | None = None
        self._sub: JetStreamContext.PushSubscription | None = None

    async def start(self, url: str) -> None:
        self._nc = await nats.connect(url)
        js = self._nc.jetstream()
        subject = f"$KV.{names.STATE_BUCKET}.{names.state_group_filter(DONE_GROUP)}"

        async def on_entry(msg: Msg) -> None:
            if not msg.data:
                return  # a delete or purge marker
            t0 = float(json.loads(msg.data)["t0"])
            self.seen.append((t0, msg.metadata.timestamp.timestamp() * 1000))

        self._sub = await js.subscribe(
            subject, cb=on_entry, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
        )

    async def wait(self, at_least: int, timeout: float) -> None:
        """Until ``at_least`` orders are done and no more arrive (the last requests of a run
        may have been cut off after their emit); a deadline, never a blind sleep."""
        deadline = time.monotonic() + timeout
        last, still_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            if len(self.seen) != last:
                last, still_since = len(self.seen), time.monotonic()
            elif last >= at_least and time.monotonic() - still_since > 0.5:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"only {len(self.seen)} of {at_least} orders finished within {timeout:.0f}s")

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()  # ends its activity check too
        if self._nc is not None:
            await self._nc.close()


async def _one_run(
    nats_url: str, orders_url: str, host_pid: int, nats_pid: int, seconds: int, connections: int
) -> OrderRun:
    done = DoneOrders()
    await done.start(nats_url)
    try:
        before = cpu.sample(host_pid, nats_pid)
        started_ms = time.time() * 1000
        meter = LoadMeter(host_pid)
        http = await asyncio.to_thread(wrk, "orders", orders_url, seconds, connections, script=SCRIPT)
        load = meter.read()
        await done.wait(http.ok, timeout=max(120.0, http.ok / 20))
        spent = cpu.sample(host_pid, nats_pid) - before
    finally:
        await done.stop()
    # Orders of an earlier run (the warm-up) that finished during this one are not its own.
    seen = [(t0, stored) for t0, stored in done.seen if t0 >= started_ms]
    latencies = sorted(stored - t0 for t0, stored in seen)
    span_s = (max(stored for _, stored in seen) - min(t0 for t0, _ in seen)) / 1000
    return OrderRun(
        len(seen), len(seen) / span_s, _percentile(latencies, 0.5), _percentile(latencies, 0.99), spent, load
    )


@dataclass(frozen=True)
class Variant:
    """This code's flow again with other host settings; its rows (those whose names end in
    one of ``rows``) are printed under the rows they repeat, marked with ``label``."""

    label: str
    rows: tuple[str, ...]
    why: str  # printed under the table
    env: dict[str, str] | None = None
    args: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Names this variant's state directory and logs."""
        return "-".join([*sorted(self.env or ()), *self.args]).replace("--", "")


RATES = (": orders/s", ": CPU ms/order (host+nats+sidecars)", ": CPU ms/order, host")
WORKERS = min(len(os.sched_getaffinity(0)), 64)  # one per core this process may use (64: the setting's cap)
# What recording (spans, on by default) costs the flow: the filed code recorded nothing.
RECORDING_OFF = Variant(
    ", recording off",
    RATES,
    "this code with STEPHOST_OBSERVE=false, to show what recording costs (the filed code recorded"
    " nothing); the other rows record, the default",
    env={"STEPHOST_OBSERVE": "false"},
)
# One host is one event loop on one core (its busiest thread row): workers use the others.
ONE_WORKER_PER_CORE = Variant(
    f", {WORKERS} workers",
    (*RATES, ": order latency p99 ms", ": machine busy, % of all cores"),
    f"this code as `stephost start --workers {WORKERS}` (one per core): {WORKERS} hosts sharing"
    " the HTTP port, each with its own sidecar",
    args=("--workers", str(WORKERS)),
)
# On one core, workers would only repeat the headline rows.
VARIANTS = (RECORDING_OFF, ONE_WORKER_PER_CORE) if WORKERS > 1 else (RECORDING_OFF,)


def run_flow(
    tmp: Path,
    lang: str,
    code: Code,
    sync: bool,
    seconds: int,
    connections: tuple[int, ...],
    variant: Variant | None = None,
) -> dict[int, OrderRun]:
    """One fresh nats-server and host for this language and code (``variant``: with other
    host settings); a wrk run per connection count."""
    key = variant.key if variant else ""
    server = EmbeddedNats(
        tmp / f"nats-orders-{lang}-{code.label}-{sync}-{key}", sync_always=sync, server_name=f"orders-{lang}"
    )
    loop = asyncio.new_event_loop()
    url = loop.run_until_complete(server.start())
    assert server.proc is not None
    host, http_url = start_host(
        PROJECTS / lang,
        tmp,
        url,
        live=1,
        code=code,
        env=variant.env if variant else None,
        args=variant.args if variant else (),
        label=key,
    )
    orders_url = http_url + "/orders"
    try:
        wrk("warm-up", orders_url, 2, 8, script=SCRIPT)
        return {
            c: loop.run_until_complete(_one_run(url, orders_url, host.p.pid, server.proc.pid, seconds, c))
            for c in connections
        }
    finally:
        host.stop()
        loop.run_until_complete(server.stop())
        loop.close()
