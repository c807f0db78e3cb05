"""What one emit adds to an api step: p50 at one connection of a step that returns at once
(/hello) and of the same kind of step that first awaits one emit (/emit), beside a raw
nats-py JetStream publish awaited one at a time on the same server.

The emit's own cost is ``emit - hello - raw publish``: the extra sidecar -> host -> sidecar
round trip and the host's checks, the part stephost adds to what NATS costs.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import nats
from nats.js.api import StreamConfig

from bench.http_load import wrk
from bench.procs import ROOT, Code, start_host

PROJECTS = ROOT / "bench" / "projects"
RAW = "raw JetStream publish, one at a time, p50 ms"


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
    """/hello and /emit of one language's bench project at one connection, alternated twice
    so a burst of load elsewhere on the machine does not land on one route only."""
    host, url = start_host(PROJECTS / lang, tmp, nats_url, live=1, code=code)
    p50: dict[str, list[float]] = {"/hello": [], "/emit": []}
    try:
        wrk("warm-up", url + "/emit", 1, 1)
        for _ in range(2):
            for path in p50:
                p50[path].append(wrk(path, url + path, max(1, seconds // 2), 1).p50_ms)
    finally:
        host.stop()
    return {
        f"{lang} api step, p50 ms": statistics.median(p50["/hello"]),
        f"{lang} api step + 1 emit, p50 ms": statistics.median(p50["/emit"]),
    }


def emit_figures(tmp: Path, nats_url: str, code: Code, part: str, *, seconds: int) -> dict[str, float]:
    """``part`` "raw": the raw publish (the same for every code); else one language's routes
    and what its emit costs beyond (its api step + a raw publish)."""
    if part == "raw":
        return {RAW: asyncio.run(raw_publish_p50(nats_url))}
    got = emit_latency(tmp, nats_url, part, code, seconds)
    hello, emit = got.values()
    raw_ms = asyncio.run(raw_publish_p50(nats_url, 200))  # again now: the machine's load moves
    return {**got, f"{part} emit beyond api step + raw publish, ms (target <= 1.5)": emit - hello - raw_ms}
