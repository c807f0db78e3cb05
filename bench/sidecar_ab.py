"""One api step per language, in alternating turns: req/s and sidecar CPU per request.

python -m bench.sidecar_ab [--baseline DIR] [--languages python,ruby] [--rounds 3] [--seconds 8]

Every (code, language) gets one host, started and warmed up once; then each round gives
every one of them a turn of wrk, the order reversed round by round, so a code's Python and
Ruby turns are always side by side and neither always goes first. One turn per host says
little on a shared machine (a burst of load elsewhere swung a single run's Ruby/Python ratio
by +-20%); the median of the rounds, with the lowest and highest round beside it, does. Each
turn is printed with the machine's load average, so a burst shows up instead of passing for
a difference between the codes. The `http` section of `make bench` runs the same turns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.cpu import cpu_seconds, sidecars_cpu
from bench.http_load import HttpResult, wrk
from bench.procs import HERE, ROOT, Code, Proc, start_host
from stephost_host.natsio.embedded import EmbeddedNats

# issue 16: the Ruby api step at >= 80% of the Python one.
SHARE = "ruby api step, % of the python one"


@dataclass(frozen=True)
class Turn:
    code: str  # Code.label
    lang: str
    round: int  # from 1
    http: HttpResult
    sidecar_ms: float  # the sidecar's CPU ms per request
    host_ms: float  # the host process's CPU ms per request
    load: float  # the 1-minute load average as the turn ended

    def line(self) -> str:
        return (
            f"round {self.round} {self.code:>8} {self.lang:>6}: {self.http.rps:7.0f} req/s "
            f"{self.sidecar_ms:6.3f} sidecar {self.host_ms:6.3f} host CPU ms/req  (load {self.load:.1f})"
        )


def api_turns(
    tmp: Path,
    nats_url: str,
    codes: Sequence[Code],
    langs: Sequence[str],
    *,
    rounds: int,
    seconds: int,
    connections: int,
    report: Callable[[Turn], None] = lambda _turn: None,
) -> list[Turn]:
    """GET /hello of bench/projects/<lang> under wrk, ``rounds`` turns per code and language."""
    hosts: dict[tuple[str, str], tuple[Proc, str]] = {}
    turns: list[Turn] = []
    try:
        for code in codes:
            for lang in langs:
                project = ROOT / "bench" / "projects" / lang
                hosts[code.label, lang] = start_host(project, tmp, nats_url, live=1, code=code)
        for _, url in hosts.values():
            wrk("warm-up", url + "/hello", 2, connections)
        order = list(hosts)
        for i in range(rounds):
            for label, lang in order[::-1] if i % 2 else order:
                host, url = hosts[label, lang]
                before = sidecars_cpu(host.p.pid), cpu_seconds(host.p.pid)
                r = wrk(lang, url + "/hello", seconds, connections)
                after = sidecars_cpu(host.p.pid), cpu_seconds(host.p.pid)
                sidecar_ms, host_ms = (
                    (a - b) * 1000 / max(r.requests, 1) for a, b in zip(after, before, strict=True)
                )
                turns.append(Turn(label, lang, i + 1, r, sidecar_ms, host_ms, os.getloadavg()[0]))
                report(turns[-1])
    finally:
        for host, _ in hosts.values():
            host.stop()
    return turns


def shares(turns: Sequence[Turn], code: str) -> list[float]:
    """Ruby's req/s as % of Python's, round by round (the two turns of a round sit side by side)."""
    rps = {(t.lang, t.round): t.http.rps for t in turns if t.code == code}
    rounds = sorted({t.round for t in turns if t.code == code})
    return [100 * rps["ruby", r] / rps["python", r] for r in rounds]


def medians(turns: Sequence[Turn]) -> dict[str, dict[str, float]]:
    """Figure name -> {code label -> median over the rounds}; errors are summed, and with both
    Ruby and Python, Ruby's share of Python's req/s: its median, lowest and highest round."""
    groups: dict[tuple[str, str], list[Turn]] = {}
    for t in turns:
        groups.setdefault((t.lang, t.code), []).append(t)
    out: dict[str, dict[str, float]] = {}
    for (lang, code), runs in groups.items():
        figures = {
            "req/s": statistics.median(t.http.rps for t in runs),
            "p50 ms": statistics.median(t.http.p50_ms for t in runs),
            "p99 ms": statistics.median(t.http.p99_ms for t in runs),
            "errors": sum(t.http.errors for t in runs),
            "sidecar CPU ms/req": statistics.median(t.sidecar_ms for t in runs),
            "host CPU ms/req": statistics.median(t.host_ms for t in runs),
        }
        for name, value in figures.items():
            out.setdefault(f"{lang} api step, {name}", {})[code] = value
    codes = list(dict.fromkeys(t.code for t in turns))
    if {"ruby", "python"} <= {t.lang for t in turns}:
        by_code = {code: shares(turns, code) for code in codes}
        out[f"{SHARE}, median"] = {c: statistics.median(s) for c, s in by_code.items()}
        out[f"{SHARE}, lowest round"] = {c: min(s) for c, s in by_code.items()}
        out[f"{SHARE}, highest round"] = {c: max(s) for c, s in by_code.items()}
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.sidecar_ab")
    p.add_argument("--baseline", type=Path)
    p.add_argument("--languages", default="python,ruby")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=8, help="the length of one turn")
    p.add_argument("--connections", type=int, default=50)
    args = p.parse_args()
    codes = [HERE] + ([Code.of(args.baseline.resolve(), "baseline")] if args.baseline else [])
    with tempfile.TemporaryDirectory(prefix="stephost-ab-") as tmp_name:
        tmp = Path(tmp_name)
        nats = EmbeddedNats(tmp / "nats", sync_always=True, server_name="ab")
        loop = asyncio.new_event_loop()
        url = loop.run_until_complete(nats.start())
        try:
            turns = api_turns(
                tmp,
                url,
                codes,
                args.languages.split(","),
                rounds=args.rounds,
                seconds=args.seconds,
                connections=args.connections,
                report=lambda t: print(t.line(), flush=True),
            )
        finally:
            loop.run_until_complete(nats.stop())
            loop.close()
    print("\nmedians over the rounds:")
    summary = medians(turns)
    for name, values in summary.items():
        print(f"{name:<48}" + "".join(f" {label}: {v:9.3f}" for label, v in values.items()))
    if f"{SHARE}, median" in summary:
        for code in codes:
            ratios = " ".join(f"{s:.0f}%" for s in shares(turns, code.label))
            print(f"{code.label:>8}: ruby req/s as % of python's, round by round: {ratios}")


if __name__ == "__main__":
    main()
