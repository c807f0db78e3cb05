"""What one emit adds to an api step: p50 at one connection of a step that returns at once
(/hello) and of the same kind of step that first awaits one emit (/emit), beside a raw
nats-py JetStream publish awaited one at a time on the same server.

The emit's own cost is ``emit - hello - raw publish``: the extra sidecar -> host -> sidecar
round trip and the host's checks, the part stephost adds to what NATS costs. At one connection
each figure is a chain of wake-ups across processes, so a burst of load elsewhere moves it by
a millisecond: the three are measured back to back in each of several rounds, the cost taken
per round, and the median round reported (every round is printed with the load average).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

import nats
from nats.js.api import StreamConfig

from bench.http_load import wrk
from bench.procs import ROOT, Code, start_host

PROJECTS = ROOT / "bench" / "projects"
RAW = "raw JetStream publish, one at a time, p50 ms"
ROUNDS = 4


async def raw_publish_p50(url: str, n: int = 500) -> float:
    """p50 ms of one JetStream publish awaited before the next (what one emit waits for)."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    stream = f"BENCH_LAT_{int(time.time() * 1000)}"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream}.x"]))
    took = []
    for _ in range(n):
        started = time.perf_counter()
        await js.publish(f"{stream}.x", b'{"n":1}')
        took.append(time.perf_counter() - started)
    await js.delete_stream(stream)
    await nc.close()
    return statistics.median(took) * 1000


def emit_latency(tmp: Path, nats_url: str, lang: str, code: Code, seconds: int) -> dict[str, float]:
    """/hello, /emit and a raw publish of one language's bench project at one connection, in
    ``ROUNDS`` rounds (the two routes' order swapped every round); medians of the rounds."""
    host, url = start_host(PROJECTS / lang, tmp, nats_url, live=1, code=code)
    rounds: list[dict[str, float]] = []
    try:
        wrk("warm-up", url + "/emit", 1, 1)
        for n in range(ROUNDS):
            paths = ("/hello", "/emit") if n % 2 == 0 else ("/emit", "/hello")
            got = {path: wrk(path, url + path, max(1, seconds // ROUNDS), 1).p50_ms for path in paths}
            got["raw"] = asyncio.run(raw_publish_p50(nats_url, 200))
            got["beyond"] = got["/emit"] - got["/hello"] - got["raw"]
            rounds.append(got)
            print(
                f"round {n + 1} {code.label:>8} {lang:>6}: /hello {got['/hello']:.2f}  /emit {got['/emit']:.2f}  "
                f"raw publish {got['raw']:.2f}  emit beyond {got['beyond']:.2f} ms  "
                f"(load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    finally:
        host.stop()

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    return {
        f"{lang} api step, p50 ms": median("/hello"),
        f"{lang} api step + 1 emit, p50 ms": median("/emit"),
        f"{lang} emit beyond api step + raw publish, ms (target <= 1.5)": median("beyond"),
    }


def emit_figures(tmp: Path, nats_url: str, code: Code, part: str, *, seconds: int) -> dict[str, float]:
    """``part`` "raw": the raw publish (the same for every code); else one language's routes
    and what its emit costs beyond (its api step + a raw publish measured in the same round)."""
    if part == "raw":
        return {RAW: asyncio.run(raw_publish_p50(nats_url))}
    return emit_latency(tmp, nats_url, part, code, seconds)
