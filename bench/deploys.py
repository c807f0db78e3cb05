"""Deploys: a 20-step mixed Python/TypeScript/Ruby project deployed cold (build and upload)
and warm (same content: nothing re-uploaded), api latency during a switch against steady state
in the same run, and rollback time with the old version warm and cold. One host, one agent per
language."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench.procs import Proc, start_host, state_dir

STEPS = 20
KEEP_WARM = 5.0  # seconds: a rollback right after a switch is warm, one after this is cold


LANGUAGES = ("python", "node", "ruby")


def _step(language: str, i: int, variant: int) -> tuple[str, str]:
    """(file name, source) of api step s<i> answering {"v": variant}."""
    if language == "python":
        return f"s{i}_step.py", (
            f'config = {{"type": "api", "name": "s{i}", "method": "GET", "path": "/s{i}"}}\n\n\n'
            f'async def handler(req, ctx):\n    return {{"status": 200, "body": {{"v": {variant}}}}}\n'
        )
    if language == "node":
        return f"s{i}.step.ts", (
            f"export const config = {{ type: 'api', name: 's{i}', method: 'GET', path: '/s{i}' }}\n"
            f"export const handler = async () => ({{ status: 200, body: {{ v: {variant} }} }})\n"
        )
    return f"s{i}_step.rb", (
        f'def config = {{ type: "api", name: "s{i}", method: "GET", path: "/s{i}" }}\n'
        f"def handler(_req, _ctx) = {{ status: 200, body: {{ v: {variant} }} }}\n"
    )


def _project(root: Path, variant: int) -> Path:
    """STEPS api steps, in turn Python, TypeScript and Ruby (s0 is Python: the latency probe)."""
    steps = root / "steps"
    steps.mkdir(parents=True, exist_ok=True)
    for i in range(STEPS):
        name, source = _step(LANGUAGES[i % len(LANGUAGES)], i, variant)
        (steps / name).write_text(source)
    return root


STEPHOST = (sys.executable, "-m", "stephost_host")


def _cli(*args: str) -> float:
    started = time.monotonic()
    subprocess.run([*STEPHOST, *args], check=True, capture_output=True, timeout=900)
    return time.monotonic() - started


def _agents_connected(agents: list[Proc], timeout: float = 120) -> None:
    """Every language's agent dialled in (a deploy's infra phase needs them all)."""
    deadline = time.monotonic() + timeout
    while not all("connected" in a.log.read_text(errors="replace") for a in agents):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the agents did not connect within {timeout:g}s; see {[str(a.log) for a in agents]}"
            )
        time.sleep(0.2)


def _until(url: str, v: int) -> float:
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if json.load(r)["v"] == v:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.02)


def _last_duration(url: str, secret: str) -> float:
    """The newest deployment's own duration, as its record says (no CLI start-up in it)."""
    request = urllib.request.Request(
        url + "/__stephost/deployments", headers={"authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        return float(json.load(r)["deployments"][0]["duration"])


class Latency(threading.Thread):
    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: list[float] = []
        self.failures = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as r:
                    r.read()
                self.samples.append((time.perf_counter() - started) * 1000)
            except OSError:
                self.failures += 1

    def stop(self) -> tuple[float, float, int]:
        self.stopping.set()
        self.join(30)
        q = statistics.quantiles(self.samples, n=100)
        return q[49], q[98], self.failures


def bench_deploys(tmp: Path, nats_url: str) -> None:
    empty = tmp / "deploy-host"
    empty.mkdir()
    v1, v2 = _project(tmp / "deploy-v1", 1), _project(tmp / "deploy-v2", 2)
    host, url = start_host(
        empty,
        tmp,
        nats_url,
        live=0,
        args=("--no-sidecars",),
        env={"STEPHOST_DEPLOY_KEEP_WARM_SECONDS": str(KEEP_WARM)},
    )
    info = json.loads((state_dir(tmp, empty) / "runtime.json").read_text())
    agents = [
        Proc(
            [
                *STEPHOST,
                "sidecar",
                lang,
                "--agent",
                "--work-dir",
                str(tmp / f"agent-{lang}"),
                "--connect",
                info["sidecar"],
            ],
            tmp / f"agent-{lang}.log",
            {"STEPHOST_SECRET": info["secret"]},
        )
        for lang in LANGUAGES
    ]
    auth = (f"--host={url}", f"--token={info['secret']}")
    rows: list[tuple[str, str]] = []
    try:
        _agents_connected(agents)
        rows.append(("deploy 20 steps, cold (build + upload)", f"{_cli('deploy', str(v1), *auth):.1f} s"))
        rows.append(("deploy the same content, warm", f"{_cli('deploy', str(v1), *auth):.1f} s"))
        steady = Latency(url + "/s0")
        steady.start()
        time.sleep(3)
        p50, p99, _ = steady.stop()
        during = Latency(url + "/s0")
        during.start()
        _cli("deploy", str(v2), *auth)
        d50, d99, failed = during.stop()
        rows.append(("api p50 / p99, steady", f"{p50:.1f} / {p99:.1f} ms"))
        rows.append((f"api p50 / p99, during a deploy ({failed} failed)", f"{d50:.1f} / {d99:.1f} ms"))
        for label, args, v in [("warm", (), 1), ("cold", ("3",), 2)]:
            if label == "cold":
                time.sleep(KEEP_WARM + 8)  # v2's workers are stopped now
            started = time.monotonic()
            _cli("deploys", "rollback", *args, *auth)
            served = time.monotonic() - started + _until(url + "/s0", v)
            own = _last_duration(url, info["secret"])
            rows.append((f"rollback, old version {label}: record / command", f"{own:.1f} / {served:.1f} s"))
    finally:
        for agent in agents:
            agent.stop()
        host.stop()
    print(f"\n{'deployments (20 steps: Python, TypeScript, Ruby; an agent each)':<48} {'':>16}")
    for name, value in rows:
        print(f"{name:<48} {value:>16}")
