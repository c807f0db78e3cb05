"""`make bench` pieces: CPU accounting of a process tree, and the orders/emit sections printed
beside a baseline checkout (this checkout stands in for one: it has its own .venv)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench import cpu
from tests.harness import eventually

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"-?\d+(?:\.\d+)?"


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m <args>`` in this checkout, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_cpu_sample_counts_a_hosts_descendants_separately() -> None:
    """A 'host' whose grandchild burns CPU: the burn lands in sidecars, not in host or nats."""
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\ntime.sleep(60)"
    parent = textwrap.dedent(f"""
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", {spin!r}])
        time.sleep(60)
    """)
    host = subprocess.Popen([sys.executable, "-c", parent])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # the "nats-server"
    try:

        def burned() -> cpu.CpuSample | None:
            s = cpu.sample(host.pid, idle.pid)
            return s if s.sidecars >= 0.25 else None

        got = eventually(burned, timeout=60, what="the grandchild's CPU")
        assert got is not None
        assert len(cpu.descendants(host.pid)) == 1
        assert got.host < 0.25 and got.nats < 0.25
        assert got.total == pytest.approx(got.host + got.nats + got.sidecars)
        later = cpu.sample(host.pid, idle.pid)
        assert (later - got).sidecars >= 0  # a difference of two samples is what happened between
    finally:
        for pid in cpu.descendants(host.pid):  # before its parent goes: then it is orphaned
            subprocess.run(["kill", str(pid)], check=False)
        for p in (host, idle):
            p.kill()
            p.wait()


def test_the_busiest_thread_is_told_apart_from_the_process() -> None:
    """Two threads burning 0.4 s and 0.15 s of CPU: the busiest thread's time is the first's,
    neither the process's sum nor the other's."""
    burn = textwrap.dedent("""
        import threading, time
        def spin(seconds):
            t = time.thread_time()
            while time.thread_time() - t < seconds: pass
            time.sleep(60)  # a thread that ends leaves /proc/PID/task
        for seconds in (0.4, 0.15):
            threading.Thread(target=spin, args=(seconds,), daemon=True).start()
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", burn])
    try:

        def busiest() -> float:
            return cpu.busiest_thread_seconds({}, cpu.thread_cpu_seconds(proc.pid))

        eventually(lambda: busiest() >= 0.39, timeout=60, what="the first thread's CPU")
        eventually(lambda: cpu.cpu_seconds(proc.pid) >= 0.54, timeout=60, what="both threads' CPU")
        assert 0.39 <= busiest() < 0.5, busiest()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.timeout(900)
def test_bench_prints_orders_and_emit_figures_beside_a_baseline() -> None:
    """`python -m bench --only orders,emit --baseline DIR`: every row has both codes and a ratio."""
    out = _run(
        "bench",
        "--only",
        "emit,orders",
        "--languages",
        "python",
        "--seconds",
        "1",
        "--order-connections",
        "2",
        "--baseline",
        str(ROOT),
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    assert f"baseline: {ROOT}" in text
    assert "one emit in an api step" in text
    for sync in ("sync_interval: always", "JetStream default fsync"):
        assert f"orders flow (POST /orders -> event -> event, state), {sync}" in text
    rows = {
        m.group(1).strip(): (float(m.group(2)), float(m.group(3)))
        for m in re.finditer(rf"^(.+?)\s+({NUMBER})\s+({NUMBER})\s+{NUMBER}x$", text, re.M)
    }
    for name in (
        "python @2: orders/s",
        "python @2: order latency p50 ms",
        "python @2: CPU ms/order (host+nats+sidecars)",
        "python api step + 1 emit, p50 ms",
        "raw JetStream publish, one at a time, p50 ms",
    ):
        this, base = rows[name]
        assert this > 0 and base > 0, name
    # The emit's cost is taken round by round (each round's own raw publish), every round printed.
    for label in ("this", "baseline"):
        assert re.search(rf"^round 4 +{label} +python: /hello [\d.]+ .* emit beyond -?[\d.]+ ms", text, re.M)
    # --languages python: the orders flow runs for Python alone.
    assert not [name for name in rows if name.startswith(("node @", "ruby @"))]
    # Every order finished and cost some CPU in both codes.
    assert all(v > 0 for v in rows["python @2: CPU ms/order, host"])
    # Under wrk the machine and the host's event loop were busy some of the time, never past full.
    for name in ("python @2: machine busy, % of all cores", "python @2: host's busiest thread, % of a core"):
        assert all(0 < v <= 105 for v in rows[name]), (name, rows[name])
    # Steal is 0 on a machine of its own (its ratio then "-"), never more than all of it.
    stolen = re.search(
        rf"^python @2: CPU stolen by the hypervisor, % of all cores\s+({NUMBER})\s+({NUMBER})", text, re.M
    )
    assert stolen is not None, text
    assert all(0 <= float(v) <= 100 for v in stolen.groups()), stolen.group(0)


def test_bench_refuses_an_unknown_language_or_section() -> None:
    for flag, value, said in (
        ("--languages", "cobol", "--languages: unknown cobol"),
        ("--only", "x", "--only: unknown section(s) x"),
    ):
        out = _run("bench", flag, value, timeout=60)
        assert out.returncode == 2 and said in out.stderr


def test_link_transport_prints_a_row_per_transport_pair() -> None:
    """The sidecar link's bare transport, measured for grpc's asyncio API and grpclib (a dev
    dependency), each pair a real echo server process and a real client process."""
    run = _run("bench.link_transport", "--messages", "200", "--in-flight", "4", timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    for pair in ("grpc / grpc", "grpc / grpclib", "grpclib / grpclib"):
        row = next((line for line in out.splitlines() if line.startswith(pair)), None)
        assert row is not None, out
        p50, client, server, rate, client_busy, server_busy = map(float, row[len(pair) :].split())
        assert p50 > 0 and rate > 0, row
        # CPU is read in clock ticks (10 ms): 200 round trips may stay under one tick in either
        # process, the 1,000 pipelined messages (~0.2 ms each) never do.
        assert client >= 0 and server >= 0 and client_busy > 0 and server_busy > 0, row


def test_ingress_section_prints_every_way_in_and_what_a_unary_caller_spends() -> None:
    """`python -m bench --only ingress`: raw publish, emit(), unary Emit and EmitBatch through a
    real host into a real subscriber, on both fsync settings, and the unary caller's own CPU
    per call with the ceiling it sets."""
    out = _run("bench", "--only", "ingress", "--ingress-events", "200", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {
        m.group(1).strip(): float(m.group(2)) for m in re.finditer(rf"^(.+?)\s+({NUMBER})$", out.stdout, re.M)
    }
    for sync in ("fsync always", "NATS default fsync"):
        rates = [
            rows[f"{sync}: {what}, events/s"]
            for what in (
                "raw publish",
                "client emit(), one event per call",
                "ingress Emit, a unary gRPC call per event",
                "ingress EmitBatch",
            )
        ]
        assert all(r > 0 for r in rates), (sync, rates)
        cpu_ms = rows[f"{sync}: unary Emit, caller CPU ms/call"]
        assert cpu_ms > 0
        # The ceiling is the caller's calls per CPU second over the raw publish rate.
        ceiling = 100 * (1000 / cpu_ms) / rates[0]
        assert rows[f"{sync}: unary Emit, caller-bound ceiling, % of raw"] == pytest.approx(ceiling, rel=0.1)


def test_bodies_section_carries_big_json_bodies_and_uploads_to_each_language() -> None:
    """`python -m bench --only bodies`: 4 MB JSON bodies and 4 MB multipart uploads reach an api
    step in every language (the step answers their size, checked by the bench), with the host's
    and the sidecar's CPU."""
    out = _run("bench", "--only", "bodies", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "big bodies (4 posts of 4 MB at once: JSON to POST /size, a file as multipart" in out.stdout
    rows = {
        m.group(1).strip(): float(m.group(2)) for m in re.finditer(rf"^(.+?)\s+({NUMBER})$", out.stdout, re.M)
    }
    for lang in ("python", "node", "ruby"):
        assert rows[f"{lang}: MB of JSON body per second"] > 0, out.stdout
        # CPU is read in 10 ms ticks: 80 MB of bodies cost the host many of them.
        assert rows[f"{lang}: host CPU ms per MB"] > 0 and rows[f"{lang}: sidecar CPU ms per MB"] >= 0
        assert rows[f"{lang}: MB of multipart upload per second"] > 0, out.stdout
        assert rows[f"{lang}: host CPU ms per MB, multipart upload"] > 0
        assert rows[f"{lang}: sidecar CPU ms per MB, multipart upload"] >= 0


def test_the_codes_take_turns_across_parts_and_sections() -> None:
    """Each part starts with the other code, and in the next section (turn=1) every part starts
    with the other code than it did before, for any number of parts, so no code is always
    measured first."""
    from bench.compare import measure
    from bench.procs import Code

    codes = [Code("this", "python"), Code("base", "python")]
    for parts in (["python"], ["python", "node"], ["python", "node", "ruby"]):
        firsts: list[list[str]] = []
        for section in (0, 1):
            order: list[str] = []

            def run(code: Code, part: str, order: list[str] = order) -> dict[str, float]:
                order.append(code.label)
                return {part: 1.0}

            measure(codes, run, parts, turn=section)
            firsts.append(order[::2])  # who went first in each part
        assert all(a != b for a, b in zip(firsts[0], firsts[1], strict=True)), (parts, firsts)
        assert firsts[0][0] == "this" and firsts[0][1:2] in ([], ["base"]), firsts


def test_store_writes_prints_the_write_ceiling_for_each_fsync_setting_idle_and_busy() -> None:
    """`python -m bench.store_writes`: a real nats-server per round, written through the host's
    own store path; a row per fsync setting and machine load, orders/s at four writes each."""
    run = _run("bench.store_writes", "--seconds", "1", "--rounds", "1", "--in-flight", "16", timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = re.findall(
        rf"^(fsync always|NATS default fsync), (.+?)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})$",
        run.stdout,
        re.M,
    )
    assert [(sync, where.split()[0]) for sync, where, *_ in rows] == [
        ("fsync always", "idle"),
        ("fsync always", str(len(os.sched_getaffinity(0)))),
        ("NATS default fsync", "idle"),
        ("NATS default fsync", str(len(os.sched_getaffinity(0)))),
    ], run.stdout
    for _, _, writes, orders, stolen in rows:
        assert float(writes) > 0 and float(orders) == pytest.approx(float(writes) / 4, abs=1), run.stdout
        assert 0 <= float(stolen) <= 100, run.stdout


def test_store_writes_refuses_a_setting_that_measures_nothing() -> None:
    run = _run("bench.store_writes", "--streams", "0", timeout=60)
    assert run.returncode == 2 and "must be positive" in run.stderr, run.stderr
