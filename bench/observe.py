"""What recording costs: the api step with observe/ off, on (the default), and on with a
Workbench page open in a real headless browser (live log tail and trace list polling), in
the same run; and the recorder's own cost per span, measured in-process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

from bench.http_load import HttpResult, wrk
from bench.procs import ROOT, start_host, state_dir
from stephost_host.natsio import jetstream
from stephost_host.observe import Recorder, Span

PAGE = ROOT / "tests" / "browser"
ROUNDS = 4
RUNS = (
    ("observe off", {"STEPHOST_OBSERVE": "false"}, False),
    ("observe on (default)", {}, False),
    ("observe on + Workbench open", {"STEPHOST_WORKBENCH": "true"}, True),
)


def _open_page(url: str, secret: str, tmp: Path) -> subprocess.Popen[str]:
    args = {"base": url, "token": secret, "userDataDir": str(tmp / "bench-profile")}
    proc = subprocess.Popen(
        ["node", "hold_workbench.mjs", json.dumps(args)],
        cwd=PAGE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "open":
        proc.kill()
        raise RuntimeError("the Workbench page did not open (is chromium installed? make install)")
    return proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc): on a shared machine, the
    host's CPU per request is steadier than its throughput."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def recorder_cost(nats_url: str, n: int = 20_000) -> tuple[float, float]:
    """CPU microseconds per invocation the recorder costs the host, measured in-process
    against the real NATS server: (the hand-off in the invoke path, everything: the hand-off
    plus the background task's encoding, metrics and publishing)."""

    async def run() -> tuple[float, float]:
        nc = await jetstream.connect(nats_url)
        recorder = Recorder(nc, nc.jetstream(), max_messages=1000, max_age_hours=1, queue_size=n + 1)
        await recorder.start()
        try:
            spans = [Span(f"{i:032x}", "hello-python", "python") for i in range(n)]
            cpu, wall = time.process_time(), time.perf_counter()
            for span in spans:
                recorder.ended(span, 1.5, None)
            hand_off = (time.perf_counter() - wall) / n * 1e6
            await recorder.stop()  # publishes everything still queued
            await nc.flush()
            return hand_off, (time.process_time() - cpu) / n * 1e6
        finally:
            await nc.close()

    return asyncio.run(run())


def bench_observe(tmp: Path, nats_url: str, seconds: int, connections: int, projects: Path) -> None:
    """The three hosts run side by side and are measured in turns, ROUNDS times each, the
    best round kept: on a shared machine the load drifts, and turns spread it evenly."""
    project = projects / "python"
    hosts = []
    try:
        for i, (_, env, _) in enumerate(RUNS):
            hosts.append(start_host(project, tmp, nats_url, live=1, env=env, label=f"-observe{i}"))
        for _, url in hosts:
            wrk("warm-up", url + "/hello", 2, connections)
        best: dict[str, HttpResult] = {}
        cpu: dict[str, list[float]] = {name: [0.0, 0.0] for name, _, _ in RUNS}  # seconds, requests
        for _ in range(ROUNDS):
            for i, ((name, _, with_page), (_, url)) in enumerate(zip(RUNS, hosts, strict=True)):
                page = None
                if with_page:  # open only during its own turns: the others pay nothing for it
                    secret = json.loads(
                        (state_dir(tmp, project, label=f"-observe{i}") / "runtime.json").read_text()
                    )
                    page = _open_page(url, secret["secret"], tmp)
                turn = max(2, seconds // ROUNDS)
                before = cpu_seconds(hosts[i][0].p.pid)
                try:
                    r = wrk(f"api step, {name}", url + "/hello", turn, connections)
                    cpu[name][0] += cpu_seconds(hosts[i][0].p.pid) - before
                    cpu[name][1] += r.rps * turn
                finally:
                    if page is not None:
                        page.communicate("", timeout=30)
                if name not in best or r.rps > best[name].rps:
                    best[name] = r
    finally:
        for proc, _ in hosts:
            proc.stop()
    rows = [best[name] for name, _, _ in RUNS]
    base = rows[0]
    base_cpu = cpu[RUNS[0][0]][0] / max(cpu[RUNS[0][0]][1], 1)
    title = f"Recording (wrk, python api step, best of {ROUNDS})"
    print(
        f"\n{title:<46} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs off':>7}"
        f" {'host CPU µs/req':>16} {'vs off':>7}"
    )
    for r, (name, _, _) in zip(rows, RUNS, strict=True):
        per = cpu[name][0] / max(cpu[name][1], 1)
        print(
            f"{r.name:<46} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} {r.rps / base.rps:>7.0%}"
            f" {per * 1e6:>16.0f} {per / base_cpu:>7.0%}"
        )
    hand_off, total = recorder_cost(nats_url)
    print(
        f"recorder, per invocation: {hand_off:.1f} µs in the invoke path, {total:.1f} µs of host CPU in all "
        f"(the host spends ~{base_cpu * 1e6:.0f} µs per request with recording off)"
    )
