"""/__stephost/healthz and /readyz, the probes an orchestrator points at: open without the
secret, liveness always 200 while the process answers, readiness 503 with the reason while a
language the active version needs has no sidecar, and 200 again once one is back."""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness import ROOT, eventually, standalone_sidecar

PROJECT = ROOT / "tests" / "projects" / "versions"  # one Python step


def _ready(host: Any) -> httpx.Response:
    return httpx.get(host.url + "/__stephost/readyz", timeout=5)


def test_probes_follow_the_sidecars_without_a_secret(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=0, args=["--no-sidecars"])
    live = httpx.get(host.url + "/__stephost/healthz", timeout=5)
    assert (live.status_code, live.json()) == (200, {"status": "alive"})

    first = standalone_sidecar(host, PROJECT)
    try:
        # Ready once the sidecar's step is live (a host that knows no step yet expects nothing).
        eventually(lambda: host.steps().get("which", {}).get("live"), what="the step to be live")
        assert _ready(host).json() == {"status": "ready", "version": "fs"}

        first.terminate()
        first.wait(20)
        eventually(lambda: _ready(host).status_code == 503, what="readiness to drop with the sidecar")
        body = _ready(host).json()
        assert body["status"] == "unready"
        assert body["reasons"] == ["python: no sidecar of this language is connected"]
        # Liveness is not readiness: the process still answers.
        assert httpx.get(host.url + "/__stephost/healthz", timeout=5).status_code == 200
    finally:
        first.kill()
        first.wait()

    second = standalone_sidecar(host, PROJECT)
    try:
        eventually(
            lambda: _ready(host).status_code == 200 and host.steps()["which"]["live"],
            what="readiness to return with a new sidecar",
        )
    finally:
        second.terminate()
        second.wait(20)
