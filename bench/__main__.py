"""`make bench`: every figure beside its baseline, from one run.

python -m bench [--seconds 8] [--connections 50] [--events 20000] [--only http,emit,orders,...]
                [--baseline DIR]

``--baseline DIR``: DIR is a checkout of another commit with its own ``make install`` done;
every host figure is then measured for both codes in the same run and printed side by side,
with the ratio this / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from functools import partial
from pathlib import Path

from bench.bodies import BODY_MB, CONCURRENT, body_figures
from bench.compare import figures, measure, table
from bench.deploys import bench_deploys
from bench.emit_latency import ROUNDS, emit_figures
from bench.events import chain, raw_publish, raw_round_trip
from bench.http_load import wrk
from bench.ingress import bench_ingress
from bench.observe import bench_observe
from bench.orders import LANGUAGES, VARIANTS, OrderRun, run_flow
from bench.procs import HERE, ROOT, Code, start_bare_fastapi, start_host
from bench.sidecar_ab import api_turns, medians
from bench.streams import fan_out, set_to_socket_latency
from stephost_host.natsio.embedded import EmbeddedNats

PROJECTS = ROOT / "bench" / "projects"
SECTIONS = "http,emit,bodies,orders,events,streams,ingress,observe,deploys"


def _digits(name: str) -> int:
    return 2 if " ms" in name or name.endswith("%") else 0


def bench_http(
    tmp: Path, nats_url: str, codes: list[Code], langs: tuple[str, ...], seconds: int, connections: int
) -> None:
    bare, bare_url = start_bare_fastapi(tmp)
    try:
        wrk("warm-up", bare_url + "/hello", 2, connections)
        base = wrk("bare FastAPI", bare_url + "/hello", seconds, connections)
    finally:
        bare.stop()

    # Turns of half --seconds, three rounds: Ruby against Python from alternating turns.
    turns = api_turns(
        tmp,
        nats_url,
        codes,
        langs,
        rounds=3,
        seconds=-(-seconds // 2),
        connections=connections,
        report=lambda t: print(t.line(), flush=True),
    )
    measured = medians(turns)
    for lang in langs:
        rps = measured[f"{lang} api step, req/s"]
        measured[f"{lang} api step, % of bare FastAPI req/s"] = {
            c: 100 * v / base.rps for c, v in rps.items()
        }
    title = f"HTTP GET small JSON (wrk, {connections} connections, medians of 3 rounds; bare FastAPI {base.rps:.0f} req/s)"
    table(title, figures(measured, _digits), codes)


def bench_emit(tmp: Path, nats_url: str, codes: list[Code], langs: tuple[str, ...], seconds: int) -> None:
    measured = measure(codes, partial(emit_figures, tmp, nats_url, seconds=seconds), ("raw", *langs))
    table(
        f"one emit in an api step (wrk, 1 connection, fsync always; medians of {ROUNDS} rounds)",
        figures(measured, _digits),
        codes,
    )


def bench_bodies(tmp: Path, nats_url: str, codes: list[Code], langs: tuple[str, ...]) -> None:
    measured = measure(codes, partial(body_figures, tmp, nats_url), langs)
    title = (
        f"big bodies ({CONCURRENT} posts of {BODY_MB} MB at once: JSON to POST /size, "
        "a file as multipart/form-data to POST /upload)"
    )
    table(title, figures(measured, lambda name: 2 if "ms per MB" in name else 0), codes)


def _order_rows(lang: str, runs: dict[int, OrderRun]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c, r in runs.items():
        out[f"{lang} @{c}: orders/s"] = r.per_second
        out[f"{lang} @{c}: order latency p50 ms"] = r.p50_ms
        out[f"{lang} @{c}: order latency p99 ms"] = r.p99_ms
        out[f"{lang} @{c}: CPU ms/order (host+nats+sidecars)"] = r.cpu_ms_per_order
        out[f"{lang} @{c}: CPU ms/order, host"] = r.cpu.host * 1000 / r.orders
        out[f"{lang} @{c}: CPU ms/order, nats-server"] = r.cpu.nats * 1000 / r.orders
        out[f"{lang} @{c}: CPU ms/order, sidecar"] = r.cpu.sidecars * 1000 / r.orders
        out[f"{lang} @{c}: machine busy, % of all cores"] = r.load.machine_busy_pct
        out[f"{lang} @{c}: CPU stolen by the hypervisor, % of all cores"] = r.load.stolen_pct
        out[f"{lang} @{c}: host's busiest thread, % of a core"] = r.load.host_thread_pct
    return out


def orders_figures(
    tmp: Path, code: Code, lang: str, *, sync: bool, seconds: int, connections: tuple[int, ...]
) -> dict[str, float]:
    """The flow's rows; for this checkout also its variants (bench.orders.VARIANTS: recording
    off, workers), each row of one right under the row it repeats (the headline rows run
    `stephost start` as it comes)."""
    out = _order_rows(lang, run_flow(tmp, lang, code, sync, seconds, connections))
    if code != HERE:
        return out
    again = [
        (v, _order_rows(lang, run_flow(tmp, lang, code, sync, seconds, connections, v))) for v in VARIANTS
    ]
    every: dict[str, float] = {}
    for name, value in out.items():
        every[name] = value
        for v, rows in again:
            if name.endswith(v.rows):
                every[name + v.label] = rows[name]
    return every


def bench_orders(
    tmp: Path, codes: list[Code], langs: tuple[str, ...], seconds: int, connections: tuple[int, ...]
) -> None:
    """Motia's flow per language, at each connection count, with fsync always and NATS's default."""
    for section, sync in enumerate((True, False)):
        label = "sync_interval: always" if sync else "JetStream default fsync"
        run = partial(orders_figures, tmp, sync=sync, seconds=seconds, connections=connections)
        measured = measure(codes, run, langs, turn=section)
        table(
            f"orders flow (POST /orders -> event -> event, state), {label}", figures(measured, _digits), codes
        )
        for v in VARIANTS:
            print(f"  rows ending '{v.label.strip(', ')}': {v.why}", flush=True)


def events_figures(tmp: Path, code: Code, _part: str, *, sync: bool, n: int) -> dict[str, float]:
    server = EmbeddedNats(
        tmp / f"nats-events-{sync}-{code.label}", sync_always=sync, server_name=f"bench-{sync}"
    )
    loop = asyncio.new_event_loop()
    url = loop.run_until_complete(server.start())
    host = None
    try:
        publish = loop.run_until_complete(raw_publish(url, n, "raw publish"))
        base = loop.run_until_complete(raw_round_trip(url, n))
        host, _ = start_host(PROJECTS / "chain", tmp, url, live=2, code=code)
        hops = loop.run_until_complete(chain(url, n, "chain"))
    finally:
        if host:
            host.stop()
        loop.run_until_complete(server.stop())
        loop.close()
    return {
        "raw JetStream publish->pull->ack, events/s": base.per_second,
        "raw publish only, events/s": publish.per_second,
        "stephost 2-hop chain (python), events/s": hops.per_second,
        "2-hop chain, % of raw publish->pull->ack": 100 * hops.per_second / base.per_second,
    }


def bench_events(tmp: Path, codes: list[Code], n: int) -> None:
    """The 2-hop chain beside raw JetStream on a server with sync_interval: always (the host's
    default) and on one with JetStream's default (fsync every 2 minutes)."""
    for section, sync in enumerate((True, False)):
        label = "sync_interval: always" if sync else "JetStream default fsync"
        measured = measure(codes, partial(events_figures, tmp, sync=sync, n=n), turn=section)
        table(f"events, {label}", figures(measured, _digits), codes)


def bench_streams(tmp: Path, nats_url: str, codes: list[Code], clients: int, updates: int) -> None:
    def run(code: Code, _part: str) -> dict[str, float]:
        host, url = start_host(PROJECTS / "streams", tmp, nats_url, live=2, code=code)
        try:
            latency = asyncio.run(set_to_socket_latency(url, 500))
            rate, _ = asyncio.run(fan_out(url, clients, updates))
        finally:
            host.stop()
        return {
            "set() -> WebSocket receipt, p50 ms": latency.pct(0.5),
            "set() -> WebSocket receipt, p99 ms": latency.pct(0.99),
            f"fan-out to {clients} sockets, deliveries/s": rate,
        }

    table("streams", figures(measure(codes, run), _digits), codes)


def bench_ingress_all(tmp: Path, codes: list[Code], n: int) -> None:
    def run(code: Code, _part: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for label, (raw, single, unary, batched) in bench_ingress(PROJECTS / "ingress", tmp, n, code).items():
            out[f"{label}: raw publish, events/s"] = raw.per_second
            out[f"{label}: client emit(), one event per call, events/s"] = single.per_second
            out[f"{label}: ingress Emit, a unary gRPC call per event, events/s"] = unary.per_second
            out[f"{label}: ingress EmitBatch, events/s"] = batched.per_second
            out[f"{label}: client emit(), % of raw publish (target >= 30)"] = (
                100 * single.per_second / raw.per_second
            )
            out[f"{label}: unary Emit call, % of raw publish"] = 100 * unary.per_second / raw.per_second
            # What bounds the unary row: the calling process's own CPU per call. Even with a
            # whole core to itself, a caller could make no more calls per second than this.
            out[f"{label}: unary Emit, caller CPU ms/call"] = 1000 * unary.cpu_seconds / unary.count
            out[f"{label}: unary Emit, caller-bound ceiling, % of raw"] = (
                100 * (unary.count / unary.cpu_seconds) / raw.per_second
            )
        return out

    table("ingress emits", figures(measure(codes, run), _digits), codes)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--order-connections", default="8,64")
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--ingress-events", type=int, default=10_000)
    p.add_argument("--languages", default=",".join(LANGUAGES), help="the sidecar languages to measure")
    p.add_argument("--only", default=SECTIONS, help=f"comma-separated, of {SECTIONS}")
    p.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of an older commit with its own `make install` done: every figure beside it",
    )
    args = p.parse_args()
    only = set(args.only.split(","))
    if unknown := only - set(SECTIONS.split(",")):
        p.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}; choose from {SECTIONS}")
    codes = [HERE] + ([Code.of(args.baseline.resolve(), "baseline")] if args.baseline else [])
    langs = tuple(args.languages.split(","))
    if unknown := set(langs) - set(LANGUAGES):
        p.error(f"--languages: unknown {', '.join(sorted(unknown))}; choose from {', '.join(LANGUAGES)}")
    order_connections = tuple(int(c) for c in args.order_connections.split(","))
    with tempfile.TemporaryDirectory(prefix="stephost-bench-") as tmp_name:
        tmp = Path(tmp_name)
        nats = EmbeddedNats(tmp / "nats", sync_always=True, server_name="bench")
        loop = asyncio.new_event_loop()
        url = loop.run_until_complete(nats.start())
        print(
            f"stephost bench: nats-server at {url} (JetStream sync_interval: always, as the host's default)"
            + (f"; baseline: {args.baseline}" if args.baseline else ""),
            flush=True,
        )
        try:
            if "http" in only:
                bench_http(tmp, url, codes, langs, args.seconds, args.connections)
            if "emit" in only:
                bench_emit(tmp, url, codes, langs, args.seconds)
            if "bodies" in only:
                bench_bodies(tmp, url, codes, langs)
            if "orders" in only:
                bench_orders(tmp, codes, langs, args.seconds, order_connections)
            if "events" in only:
                bench_events(tmp, codes, args.events)
            if "streams" in only:
                bench_streams(tmp, url, codes, clients=100, updates=1000)
            if "ingress" in only:
                bench_ingress_all(tmp, codes, args.ingress_events)
            # These two measure this checkout only: recording on vs off, and deploy times.
            if "observe" in only:
                bench_observe(tmp, url, args.seconds, args.connections, PROJECTS)
            if "deploys" in only:
                bench_deploys(tmp, url)
        finally:
            loop.run_until_complete(nats.stop())
            loop.close()


if __name__ == "__main__":
    main()
