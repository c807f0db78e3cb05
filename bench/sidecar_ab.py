"""Interleaved A/B of one api step per language: req/s and sidecar CPU per request.

python -m bench.sidecar_ab --baseline DIR [--languages python,ruby] [--rounds 3] [--seconds 8]

Each round runs every language on this checkout and on the baseline, alternating which
code goes first, and prints one line per run with the machine's load average beside it, so
a burst of load elsewhere shows up instead of passing for a difference between the codes.
The `http` section of `make bench` prints the same figures once; this repeats them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from bench.cpu import sidecars_cpu
from bench.http_load import HttpResult, wrk
from bench.procs import HERE, ROOT, Code, start_host
from stephost_host.natsio.embedded import EmbeddedNats


def api_step(
    tmp: Path, nats_url: str, code: Code, lang: str, seconds: int, connections: int
) -> tuple[HttpResult, float]:
    """GET /hello of bench/projects/<lang> under wrk, and its sidecar's CPU ms per request."""
    host, url = start_host(ROOT / "bench" / "projects" / lang, tmp, nats_url, live=1, code=code)
    try:
        wrk("warm-up", url + "/hello", 2, connections)
        before = sidecars_cpu(host.p.pid)
        r = wrk(lang, url + "/hello", seconds, connections)
        return r, (sidecars_cpu(host.p.pid) - before) * 1000 / max(r.requests, 1)
    finally:
        host.stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.sidecar_ab")
    p.add_argument("--baseline", type=Path, required=True)
    p.add_argument("--languages", default="python,ruby")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", type=int, default=50)
    args = p.parse_args()
    codes = [HERE, Code.of(args.baseline.resolve(), "baseline")]
    langs = args.languages.split(",")
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="stephost-ab-") as tmp_name:
        tmp = Path(tmp_name)
        nats = EmbeddedNats(tmp / "nats", sync_always=True, server_name="ab")
        loop = asyncio.new_event_loop()
        url = loop.run_until_complete(nats.start())
        try:
            for i in range(args.rounds):
                for code in codes[::-1] if i % 2 else codes:
                    for lang in langs:
                        r, cpu = api_step(tmp, url, code, lang, args.seconds, args.connections)
                        rps = r.rps
                        results.setdefault((code.label, lang), []).append((rps, cpu))
                        load = os.getloadavg()[0]
                        print(
                            f"round {i + 1} {code.label:>8} {lang:>6}: {rps:7.0f} req/s "
                            f"{cpu:6.3f} sidecar CPU ms/req  (load {load:.1f})",
                            flush=True,
                        )
        finally:
            loop.run_until_complete(nats.stop())
            loop.close()
    print("\nmedians over the rounds:")
    for (label, lang), runs in results.items():
        rps = statistics.median(r for r, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{label:>8} {lang:>6}: {rps:7.0f} req/s {cpu:6.3f} sidecar CPU ms/req")
    if {"python", "ruby"} <= set(langs):  # issue 16's target: Ruby >= 80% of Python in every run
        for code in codes:
            ruby, python = results[(code.label, "ruby")], results[(code.label, "python")]
            ratios = " ".join(f"{100 * r[0] / p[0]:.0f}%" for r, p in zip(ruby, python, strict=True))
            print(f"{code.label:>8}: ruby req/s as % of python's, round by round: {ratios}")


if __name__ == "__main__":
    main()
