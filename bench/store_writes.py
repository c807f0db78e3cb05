"""How many writes nats-server stores per second, on an idle machine and with its cores busy.

python -m bench.store_writes [--seconds 5] [--streams 2] [--in-flight 128] [--rounds 2]

The orders flow (``make bench``'s orders section) stores four messages per order: two events
on the events stream, two state entries on the state bucket's stream. With ``sync_interval:
always`` (the host's default) nats-server writes and fsyncs each stream's messages one at a
time, so the flow can go no faster than nats-server stores them, and that rate falls when the
host, the sidecars and the load generator keep the cores busy (each write waits for a core
after its fsync). This measures that ceiling with the host's own write path
(``natsio.publish.store``, one client, ``--in-flight`` writes outstanding spread over
``--streams`` streams), alone and beside one busy-looping process per core, for both fsync
settings, and prints the orders/s those writes would carry at four per order, and the share of
the cores the hypervisor gave other guests meanwhile (on a shared machine it moves the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nats.js.api import StreamConfig

from bench.cpu import machine_seconds
from stephost_host.natsio import jetstream
from stephost_host.natsio.embedded import EmbeddedNats
from stephost_host.natsio.publish import store

WRITES_PER_ORDER = 4  # order.created, order.done, two state entries
PAYLOAD = b'{"id":"0123456789","item":"widget","qty":1,"t0":1700000000000}'  # about an order's event
BUSY_LOOP = "while True: pass"
WIDTH = 56


async def _rate(tmp: Path, sync: bool, streams: int, in_flight: int, seconds: float) -> float:
    """Writes stored per second: ``in_flight`` writers, each storing one message after another."""
    server = EmbeddedNats(tmp, sync_always=sync, server_name="store-writes")
    url = await server.start()
    nc = await jetstream.connect(url, name="bench-store-writes")
    try:
        js = nc.jetstream()
        for i in range(streams):
            await js.add_stream(StreamConfig(name=f"W{i}", subjects=[f"w{i}.>"]))
        stored = 0
        end = time.monotonic() + seconds

        async def writer(k: int) -> None:
            nonlocal stored
            subject = f"w{k % streams}.x"
            while time.monotonic() < end:
                await store(nc, subject, PAYLOAD)
                stored += 1

        started = time.monotonic()
        await asyncio.gather(*(writer(k) for k in range(in_flight)))
        return stored / (time.monotonic() - started)
    finally:
        await nc.close()
        await server.stop()


def _measure(sync: bool, busy: int, args: argparse.Namespace) -> tuple[float, float]:
    """The median of ``--rounds`` rates, each on a fresh nats-server, beside ``busy`` spinners;
    and the share of all cores the hypervisor gave another guest meanwhile (a shared machine's
    noise, in percent)."""
    spinners = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(busy)]
    started, before = time.monotonic(), machine_seconds()
    try:
        rates = []
        for i in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="store-writes-") as tmp:
                rates.append(
                    asyncio.run(_rate(Path(tmp) / str(i), sync, args.streams, args.in_flight, args.seconds))
                )
        stolen = (machine_seconds() - before).percent_of(time.monotonic() - started).stolen
        return statistics.median(rates), stolen
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.store_writes", description=__doc__)
    p.add_argument("--seconds", type=float, default=5.0, help="each round's length (default 5)")
    p.add_argument("--streams", type=int, default=2, help="streams written at once (default 2, as the flow)")
    p.add_argument("--in-flight", type=int, default=128, help="writes outstanding (default 128)")
    p.add_argument(
        "--rounds", type=int, default=2, help="rounds per setting; the median is printed (default 2)"
    )
    args = p.parse_args()
    if min(args.streams, args.in_flight, args.rounds) < 1 or args.seconds <= 0:
        p.error("--seconds, --streams, --in-flight and --rounds must be positive")
    cores = len(os.sched_getaffinity(0))
    print(
        f"nats-server stores, {args.streams} streams, {args.in_flight} writes in flight, one client"
        f" (medians of {args.rounds} rounds of {args.seconds:g} s)"
    )
    print(f"{'setting':<{WIDTH}} {'writes/s':>9} {'orders/s at 4 writes':>21} {'% stolen':>9}")
    for sync, label in ((True, "fsync always"), (False, "NATS default fsync")):
        for busy in (0, cores):
            rate, stolen = _measure(sync, busy, args)
            where = "idle machine" if busy == 0 else f"{busy} busy processes (one per core)"
            print(
                f"{label + ', ' + where:<{WIDTH}} {rate:>9.0f} {rate / WRITES_PER_ORDER:>21.0f} {stolen:>9.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
