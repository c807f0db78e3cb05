"""Big JSON request bodies through an api step: a few posted at once, several rounds.

What it costs the host and the sidecar to carry a body to a handler: parsing and checking it,
putting it on the sidecar link, reading it there. Reported per MB of body, beside the rate.
The host's CPU and the sidecar's are read from /proc around the posts (the client's is not).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import cpu
from bench.procs import ROOT, Code, start_host

PROJECTS = ROOT / "bench" / "projects"
CONCURRENT = 4
BODY_MB = 4  # 4 x 4 MB in flight: under the sidecar link's 64 MB per message in any code
ROUNDS = 5
BODY = json.dumps({"data": "x" * (BODY_MB * 1024 * 1024)}).encode()


def _post_all(pool: ThreadPoolExecutor, url: str) -> None:
    def post(_: int) -> None:
        r = httpx.post(url, content=BODY, headers={"content-type": "application/json"}, timeout=120)
        if r.status_code != 200 or r.json() != {"size": BODY_MB * 1024 * 1024}:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")

    list(pool.map(post, range(CONCURRENT)))


def body_figures(tmp: Path, nats_url: str, code: Code, lang: str) -> dict[str, float]:
    host, url = start_host(
        PROJECTS / lang, tmp, nats_url, live=1, code=code, env={"STEPHOST_MAX_BODY_BYTES": str(len(BODY) + 1)}
    )
    try:
        with ThreadPoolExecutor(CONCURRENT) as pool:
            _post_all(pool, url + "/size")  # warm-up
            sidecars = cpu.descendants(host.p.pid)
            host0, side0 = cpu.cpu_seconds(host.p.pid), sum(map(cpu.cpu_seconds, sidecars))
            started = time.perf_counter()
            for _ in range(ROUNDS):
                _post_all(pool, url + "/size")
            wall = time.perf_counter() - started
            host_s = cpu.cpu_seconds(host.p.pid) - host0
            side_s = sum(map(cpu.cpu_seconds, sidecars)) - side0
    finally:
        host.stop()
    mb = len(BODY) * CONCURRENT * ROUNDS / (1024 * 1024)
    return {
        f"{lang}: MB of JSON body per second": mb / wall,
        f"{lang}: host CPU ms per MB": 1000 * host_s / mb,
        f"{lang}: sidecar CPU ms per MB": 1000 * side_s / mb,
    }
