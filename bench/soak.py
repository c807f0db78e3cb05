"""`make soak`: N events through a Python -> TypeScript -> Ruby chain on two hosts while a
sidecar, a host and the nats-server are killed and restarted at random moments.

Prints emitted, processed, lost (must be 0), duplicates and throughput. Loopback only,
bounded in time (--deadline).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import nats
from nats.errors import Error as NatsError

from bench.procs import ROOT, Proc, start_host
from stephost_host import names
from stephost_host.natsio.embedded import EmbeddedNats

PROJECT = ROOT / "bench" / "projects" / "soak"
STEPS = 3


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Soak:
    def __init__(self, tmp: Path, events: int, deadline: float, seed: int) -> None:
        self.tmp = tmp
        self.events = events
        self.deadline = deadline
        self.random = random.Random(seed)
        self.nats = EmbeddedNats(tmp / "nats", sync_always=True, server_name="soak")
        self.hosts: list[Proc] = []
        self.acked: set[str] = set()
        self.faults: list[str] = []

    async def run(self) -> int:
        url = await self.nats.start()
        self.url = url
        for _ in range(2):
            self.hosts.append(start_host(PROJECT, self.tmp, url, live=STEPS)[0])
        say(f"2 hosts up on {url}; emitting {self.events} events with faults")
        started = time.perf_counter()
        chaos = asyncio.create_task(self._chaos())
        await self._emit()
        await chaos  # every fault happens, while events are still moving through the chain
        counts = await self._wait_processed()
        elapsed = time.perf_counter() - started
        processed = sum(1 for k in self.acked if counts.get(k))
        lost = len(self.acked) - processed
        duplicates = sum(n - 1 for k, n in counts.items() if k in self.acked and n > 1)
        print(f"\n{'soak':<12} {'value':>10}")
        for label, value in [
            ("emitted", len(self.acked)),
            ("processed", processed),
            ("lost", lost),
            ("duplicates", duplicates),
        ]:
            print(f"{label:<12} {value:>10}")
        print(f"{'throughput':<12} {processed / elapsed:>10.0f} events/s end to end ({elapsed:.1f}s)")
        print(f"faults: {', '.join(self.faults) or 'none'}")
        for host in self.hosts:
            host.stop()
        await self.nats.stop()
        return 0 if lost == 0 else 1

    async def _emit(self) -> None:
        """Publish until every event is acknowledged by JetStream (an ack is the promise)."""
        nc = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        js = nc.jetstream(timeout=5)
        subject = names.topic_subject("soak.start")
        pending = [f"e{i}" for i in range(self.events)]
        while pending and time.monotonic() < self.deadline:
            batch, pending = pending[:200], pending[200:]
            results = await asyncio.gather(
                *(js.publish(subject, f'{{"id":"{k}"}}'.encode(), headers={"Nats-Msg-Id": k}) for k in batch),
                return_exceptions=True,
            )
            for key, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    pending.append(key)  # not acknowledged: try again (the msg id dedupes)
                else:
                    self.acked.add(key)
        await nc.close()

    async def _chaos(self) -> None:
        faults = [self._kill_sidecar, self._kill_host, self._restart_nats]
        self.random.shuffle(faults)
        for fault in faults:
            await asyncio.sleep(self.random.uniform(1.0, 3.0))
            await fault()

    async def _kill_sidecar(self) -> None:
        host = self.random.choice(self.hosts)
        pgrep = await asyncio.create_subprocess_exec("pgrep", "-P", str(host.p.pid), stdout=subprocess.PIPE)
        out = (await pgrep.communicate())[0].decode().split()
        if out:
            pid = int(self.random.choice(out))
            os.kill(pid, signal.SIGKILL)
            self.faults.append(f"sidecar pid {pid} SIGKILL")
            say(f"killed sidecar pid {pid} (its host restarts it)")

    async def _kill_host(self) -> None:
        victim = self.hosts.pop(self.random.randrange(len(self.hosts)))
        os.killpg(victim.p.pid, signal.SIGKILL)
        self.faults.append("host SIGKILL + restart")
        say("killed a host; starting a new one")
        self.hosts.append(
            await asyncio.to_thread(lambda: start_host(PROJECT, self.tmp, self.url, live=STEPS)[0])
        )

    async def _restart_nats(self) -> None:
        self.nats.kill()
        assert self.nats.proc
        await self.nats.proc.wait()
        self.faults.append("nats-server SIGKILL + restart")
        say("killed nats-server; restarting it on the same store")
        self.nats.port = int(self.url.rsplit(":", 1)[1])
        await self.nats.start()

    async def _wait_processed(self) -> dict[str, int]:
        nc = await nats.connect(self.url, max_reconnect_attempts=-1)
        kv = await nc.jetstream().key_value(names.STATE_BUCKET)
        counts: dict[str, int] = {}
        while time.monotonic() < self.deadline:
            try:
                watcher = await kv.watch(names.state_group_filter("soak"))
                counts = {}
                async for entry in watcher:
                    if entry is None or entry.delta == 0:
                        if entry is not None and entry.value:
                            counts[names.untoken(entry.key.split(".", 1)[1])] = int(entry.value)
                        break
                    if entry.value:
                        counts[names.untoken(entry.key.split(".", 1)[1])] = int(entry.value)
                await watcher.stop()
            except (NatsError, TimeoutError):
                pass
            done = sum(1 for k in self.acked if counts.get(k))
            say(f"processed {done}/{len(self.acked)}")
            if done >= len(self.acked):
                break
            await asyncio.sleep(2.0)
        await nc.close()
        return counts


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    p.add_argument("--events", type=int, default=10_000)
    p.add_argument("--deadline", type=float, default=600.0, help="seconds before giving up")
    p.add_argument("--seed", type=int, default=int(time.time()))
    args = p.parse_args()
    print(f"stephost soak: {args.events} events, seed {args.seed}")
    with tempfile.TemporaryDirectory(prefix="stephost-soak-") as tmp:
        code = asyncio.run(Soak(Path(tmp), args.events, time.monotonic() + args.deadline, args.seed).run())
    raise SystemExit(code)


if __name__ == "__main__":
    main()
