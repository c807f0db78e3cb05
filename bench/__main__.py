"""`make bench`: every figure beside its baseline, from one run.

python -m bench [--seconds 8] [--connections 50] [--events 20000] [--only http,events,observe]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench.deploys import bench_deploys
from bench.events import Rate, chain, raw_publish, raw_round_trip
from bench.http_load import HttpResult, wrk
from bench.ingress import bench_ingress
from bench.observe import bench_observe
from bench.procs import ROOT, start_bare_fastapi, start_host
from bench.streams import fan_out, report, set_to_socket_latency
from stephost_host.natsio.embedded import EmbeddedNats

PROJECTS = ROOT / "bench" / "projects"


def _http_table(rows: list[HttpResult], base: HttpResult) -> None:
    print(
        f"\n{'HTTP GET small JSON (wrk)':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs bare':>8}"
    )
    for r in rows:
        print(
            f"{r.name:<34} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} "
            f"{r.rps / base.rps:>8.0%}"
        )


def _rate_table(title: str, rows: list[Rate], base: Rate) -> None:
    print(f"\n{title:<40} {'events':>7} {'seconds':>8} {'events/s':>9} {'vs base':>8}")
    for r in rows:
        print(
            f"{r.name:<40} {r.count:>7} {r.seconds:>8.2f} {r.per_second:>9.0f} {r.per_second / base.per_second:>8.0%}"
        )


def bench_http(tmp: Path, nats_url: str, seconds: int, connections: int) -> None:
    rows: list[HttpResult] = []
    bare, bare_url = start_bare_fastapi(tmp)
    try:
        wrk("warm-up", bare_url + "/hello", 2, connections)
        base = wrk("bare FastAPI", bare_url + "/hello", seconds, connections)
    finally:
        bare.stop()
    rows.append(base)
    for lang in ("python", "node", "ruby"):
        project = PROJECTS / lang
        if not project.is_dir():
            continue
        host, url = start_host(project, tmp, nats_url, live=1)
        try:
            wrk("warm-up", url + "/hello", 2, connections)
            rows.append(wrk(f"stephost {lang} api step", url + "/hello", seconds, connections))
        finally:
            host.stop()
    _http_table(rows, base)


def bench_events(tmp: Path, n: int) -> None:
    """The same comparison on a server with sync_interval: always (the host's default) and
    on one with JetStream's default (fsync every 2 minutes), so the durability cost shows."""
    for sync in (True, False):
        label = "sync_interval: always" if sync else "JetStream default fsync"
        server = EmbeddedNats(tmp / f"nats-events-{sync}", sync_always=sync, server_name=f"bench-{sync}")
        loop = asyncio.new_event_loop()
        url = loop.run_until_complete(server.start())
        host = None
        try:
            publish = loop.run_until_complete(raw_publish(url, n, "raw publish only (context)"))
            base = loop.run_until_complete(raw_round_trip(url, n))
            host, _ = start_host(PROJECTS / "chain", tmp, url, live=2)
            hops = loop.run_until_complete(chain(url, n, "stephost 2-hop chain (python)"))
        finally:
            if host:
                host.stop()
            loop.run_until_complete(server.stop())
            loop.close()
        _rate_table(f"events, {label}", [base, hops, publish], base)


def bench_streams(tmp: Path, nats_url: str, samples: int, clients: int, updates: int) -> None:
    host, url = start_host(PROJECTS / "streams", tmp, nats_url, live=2)
    try:
        latency = asyncio.run(set_to_socket_latency(url, samples))
        rate, seconds = asyncio.run(fan_out(url, clients, updates))
    finally:
        host.stop()
    report(latency, rate, seconds, clients, updates)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--ingress-events", type=int, default=10_000)
    p.add_argument("--only", default="http,events,streams,ingress,observe,deploys")
    args = p.parse_args()
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="stephost-bench-") as tmp_name:
        tmp = Path(tmp_name)
        nats = EmbeddedNats(tmp / "nats", sync_always=True, server_name="bench")
        loop = asyncio.new_event_loop()
        url = loop.run_until_complete(nats.start())
        print(
            f"stephost bench: nats-server at {url} (JetStream sync_interval: always, as the host's default)"
        )
        try:
            if "http" in only:
                bench_http(tmp, url, args.seconds, args.connections)
            if "events" in only:
                bench_events(tmp, args.events)
            if "streams" in only:
                bench_streams(tmp, url, samples=500, clients=100, updates=1000)
            if "ingress" in only:
                bench_ingress(PROJECTS / "ingress", tmp, args.ingress_events, _rate_table)
            if "observe" in only:
                bench_observe(tmp, url, args.seconds, args.connections, PROJECTS)
            if "deploys" in only:
                bench_deploys(tmp, url)
        finally:
            loop.run_until_complete(nats.stop())
            loop.close()


if __name__ == "__main__":
    main()
