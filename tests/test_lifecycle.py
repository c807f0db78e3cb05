"""Sidecars come and go: standalone dial-in, 503 while absent, SIGKILL mid-handler,
reload on change, graceful shutdown, and the `stephost emit` command."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.harness import ROOT, STEPHOST, eventually

PROJECTS = ROOT / "tests" / "projects"


def uid() -> str:
    return uuid.uuid4().hex[:8]


def ok_json(http: httpx.Client, path: str) -> Any:
    """The JSON body of a 200 response, else None (a 503 while a sidecar restarts is not an answer)."""
    r = http.get(path)
    return r.json() if r.status_code == 200 else None


def test_standalone_sidecar_dials_in_and_its_absence_is_a_503(start_host: Any) -> None:
    host = start_host(PROJECTS / "clash", live_steps=0, args=["--no-sidecars"])
    side = subprocess.Popen(
        [
            "stephost" if shutil.which("stephost") else sys.executable,
            *(["sidecar"] if shutil.which("stephost") else ["-m", "stephost_host", "sidecar"]),
            "python",
            "--connect",
            host.sidecar_address,
            "--state-dir",  # where the host keeps the secret it generated
            str(host.state_dir),
            str(PROJECTS / "clash"),
        ]
    )
    try:
        eventually(lambda: host.steps().get("clash-other", {}).get("live"), what="the sidecar to register")
        assert httpx.get(host.url + "/other").json() == {"other": True}
    finally:
        side.send_signal(signal.SIGTERM)
        assert side.wait(20) == 0
    eventually(lambda: not host.steps()["clash-other"]["live"])
    r = httpx.get(host.url + "/other")
    assert r.status_code == 503
    assert "no sidecar serving step 'clash-other' (python) is connected" in r.json()["error"]
    assert r.headers["x-trace-id"]


def test_sidecar_killed_mid_handler_loses_nothing(start_host: Any) -> None:
    host = start_host(PROJECTS / "slow_events", live_steps=3)
    job = uid()
    with host.client() as http:
        assert http.post("/work", json={"id": job, "seconds": 30}).status_code == 202
        eventually(lambda: ok_json(http, f"/work/started/{job}"), what="the handler to start")
        [pid] = host.sidecar_pids("stephost_sidecar")
        os.kill(pid, signal.SIGKILL)
        # The supervisor restarts the sidecar; the unacknowledged event is delivered again.
        done = eventually(
            lambda: ok_json(http, f"/work/work/{job}"),
            timeout=60,
            what="the event to be processed after the restart",
        )
        assert done["done"] is True and done["attempt"] >= 2
        assert host.sidecar_pids("stephost_sidecar") != [pid]
    assert "python sidecar exited with code -9; restarting" in host.log()


def test_graceful_shutdown_lets_in_flight_handlers_finish(start_host: Any) -> None:
    host = start_host(PROJECTS / "slow_events", live_steps=3)
    job = uid()
    with host.client() as http:
        http.post("/work", json={"id": job, "seconds": 1.5})
        eventually(lambda: ok_json(http, f"/work/started/{job}"))
        host.signal(signal.SIGTERM)
        assert host.proc.wait(30) == 0
    # The handler finished during the drain; a second host on the same NATS can read it.
    again = start_host(PROJECTS / "slow_events", live_steps=3)
    with again.client() as http:
        assert http.get(f"/work/work/{job}").json() == {"done": True, "attempt": 1}
    assert "shutting down: draining in-flight work" in host.log()


def test_dev_reloads_a_changed_step(start_host: Any, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(PROJECTS / "clash", project)
    host = start_host(project, live_steps=2, nats_url=None, mode="dev")  # dev: embedded NATS too
    assert (host.state_dir / "nats" / "jetstream").is_dir()
    assert httpx.get(host.url + "/other").json() == {"other": True}
    step = project / "steps" / "other_step.py"
    step.write_text(step.read_text().replace('{"other": True}', '{"other": "reloaded"}'))
    eventually(
        lambda: httpx.get(host.url + "/other").json() == {"other": "reloaded"},
        timeout=30,
        what="the reloaded step to serve",
    )
    assert "reloading the python sidecar" in host.log()


def test_emit_command_reaches_a_running_host(start_host: Any) -> None:
    host = start_host(PROJECTS / "slow_events", live_steps=3)
    job = uid()
    done = subprocess.run(
        [
            *STEPHOST,
            "emit",
            "--topic",
            "work.start",
            "--message",
            json.dumps({"id": job}),
            "--state-dir",
            str(host.state_dir),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["traceId"]
    with host.client() as http:
        eventually(lambda: ok_json(http, f"/work/work/{job}"))
    bad = subprocess.run(
        [*STEPHOST, "emit", "--topic", "t", "--message", "{nope", "--state-dir", str(host.state_dir)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and "--message is not valid JSON" in bad.stderr
    # Token checks: tests/test_ingress_security.py.


def test_json_log_lines_carry_step_and_trace(start_host: Any) -> None:
    host = start_host(PROJECTS / "slow_events", live_steps=3, args=["--log-format", "json"])
    job = uid()
    with host.client() as http:
        trace = http.post("/work", json={"id": job}).headers["x-trace-id"]
        eventually(lambda: ok_json(http, f"/work/work/{job}"))

    def handler_line() -> dict[str, Any] | None:
        records = [json.loads(line) for line in host.log().splitlines() if line.startswith("{")]
        return next((r for r in records if r.get("msg") == "work done" and r.get("trace_id") == trace), None)

    line = eventually(handler_line, what="the handler's log record")
    assert line["step"] == "do-work" and line["level"] == "info" and line["id"] == job
    assert line["language"] == "python"


def test_a_failed_start_stops_what_did_start(tmp_path: Path, nats_server: Any) -> None:
    # runtime.json is the last component: make it fail (a directory in its place) so that the
    # sidecar, the ports and NATS are all up and must be stopped again. (A taken port stops
    # the host before anything starts: tests/security/test_doors_ports.py.)
    state = tmp_path / "state"
    (state / "runtime.json").mkdir(parents=True)
    cmd = [*STEPHOST, "start", str(PROJECTS / "clash"), "--port", "0", "--sidecar-port", "0"]
    cmd += ["--state-dir", str(state), "--nats-url", nats_server.url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    log = done.stdout + done.stderr
    assert done.returncode != 0, log
    assert "runtime.json did not start; stopping what did" in log
    assert re.search(r"python sidecar python-\w+ disconnected", log)
    assert "stephost ready" not in log
