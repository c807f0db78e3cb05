"""Big request bodies through an api step: a few posted at once, several rounds, for a JSON
body and for a file uploaded as multipart/form-data.

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
SIZE = BODY_MB * 1024 * 1024
_upload = httpx.Request("POST", "http://bench/", files={"upload": ("data.bin", b"x" * SIZE, "text/plain")})
# (what, path, bytes, content type): each step answers the size of what it got
BODIES = [
    ("JSON body", "/size", json.dumps({"data": "x" * SIZE}).encode(), "application/json"),
    ("multipart upload", "/upload", _upload.read(), _upload.headers["content-type"]),
]


def _post_all(pool: ThreadPoolExecutor, url: str, body: bytes, ctype: str) -> None:
    def post(_: int) -> None:
        r = httpx.post(url, content=body, headers={"content-type": ctype}, timeout=120)
        if r.status_code != 200 or r.json() != {"size": SIZE}:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")

    list(pool.map(post, range(CONCURRENT)))


def body_figures(tmp: Path, nats_url: str, code: Code, lang: str) -> dict[str, float]:
    biggest = max(len(body) for _, _, body, _ in BODIES)
    host, url = start_host(
        PROJECTS / lang, tmp, nats_url, live=1, code=code, env={"STEPHOST_MAX_BODY_BYTES": str(biggest + 1)}
    )
    out: dict[str, float] = {}
    try:
        with ThreadPoolExecutor(CONCURRENT) as pool:
            for what, path, body, ctype in BODIES:
                _post_all(pool, url + path, body, ctype)  # warm-up
                sidecars = cpu.descendants(host.p.pid)
                host0, side0 = cpu.cpu_seconds(host.p.pid), sum(map(cpu.cpu_seconds, sidecars))
                started = time.perf_counter()
                for _ in range(ROUNDS):
                    _post_all(pool, url + path, body, ctype)
                wall = time.perf_counter() - started
                host_s = cpu.cpu_seconds(host.p.pid) - host0
                side_s = sum(map(cpu.cpu_seconds, sidecars)) - side0
                mb = len(body) * CONCURRENT * ROUNDS / (1024 * 1024)
                # The JSON rows keep the names they had before uploads were measured.
                per_mb = "" if what == "JSON body" else f", {what}"
                out[f"{lang}: MB of {what} per second"] = mb / wall
                out[f"{lang}: host CPU ms per MB{per_mb}"] = 1000 * host_s / mb
                out[f"{lang}: sidecar CPU ms per MB{per_mb}"] = 1000 * side_s / mb
    finally:
        host.stop()
    return out
