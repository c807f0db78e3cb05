"""The Python sidecar's connection: capacity, and reconnecting to a host that comes back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import ROOT, eventually, free_ports, standalone_sidecar

PROJECTS = ROOT / "tests" / "projects"


def test_invocations_run_concurrently_up_to_the_declared_capacity(start_host: Any) -> None:
    host = start_host(PROJECTS / "concurrency", env={"STEPHOST_CAPACITY": "4"})
    with ThreadPoolExecutor(12) as pool:
        peaks = list(pool.map(lambda _: httpx.get(host.url + "/peak", timeout=30).json()["peak"], range(12)))
    assert max(peaks) == 4


def test_sidecar_reconnects_and_reregisters_when_the_host_returns(start_host: Any) -> None:
    port = free_ports(1)[0]  # the second host must get it back
    # Both hosts serve one deployment, so they share its secret.
    shared = {"STEPHOST_SECRET": "one-secret-for-both-hosts"}
    args = ["--no-sidecars", "--sidecar-port", str(port)]
    first = start_host(PROJECTS / "clash", live_steps=0, args=args, env=shared)
    side = subprocess.Popen(
        [sys.executable, "-m", "stephost_sidecar", "--connect", f"127.0.0.1:{port}", str(PROJECTS / "clash")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **shared},
    )
    try:
        eventually(lambda: first.steps().get("clash-other", {}).get("live"))
        assert first.stop() == 0
        second = start_host(PROJECTS / "clash", live_steps=2, args=args, env=shared)
        assert httpx.get(second.url + "/other").json() == {"other": True}
    finally:
        side.terminate()
        out, _ = side.communicate(timeout=20)
    assert "reconnecting to 127.0.0.1" in out


@pytest.mark.parametrize("language", ["node", "ruby"])
def test_node_and_ruby_sidecars_run_standalone_and_dial_in(
    start_host: Any, language: str, tmp_path: Path
) -> None:
    project = ROOT / "tests" / "conformance" / language
    host = start_host(project, live_steps=0, args=["--no-sidecars"])
    output = tmp_path / "sidecar.log"
    with output.open("wb") as out:  # the sidecar keeps its own copy of the descriptor
        side = standalone_sidecar(host, project, language=language, output=out)
    try:
        # A Node sidecar loads tsx before its hello: slow on a loaded 2-core machine.
        try:
            eventually(
                lambda: host.steps().get("conf-echo", {}).get("live"),
                timeout=90,
                what=f"the {language} sidecar",
            )
        except AssertionError as exc:  # say what the sidecar and the host said meanwhile
            said = output.read_text(errors="replace")[-4000:]
            raise AssertionError(
                f"{exc}\nsidecar (exit code {side.poll()}):\n{said}\nhost log:\n{host.log()[-4000:]}"
            ) from None
        r = httpx.post(host.url + "/echo/1", json={})
        assert r.status_code == 200 and r.json()["language"] == language
    finally:
        side.send_signal(signal.SIGTERM)
        try:
            code = side.wait(30)
        except subprocess.TimeoutExpired:
            side.kill()  # never leave it redialling a host that is gone
            side.wait()
            raise
    assert code == 0
