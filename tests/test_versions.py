"""Version-aware routing end to end: two real sidecars serve the same step in two versions;
only the active version ("fs", the project directory) is routed, the other is registered
side by side and visible, and never answers in the active one's place."""

from __future__ import annotations

import signal
from typing import Any

import httpx

from tests.harness import ROOT, eventually, standalone_sidecar

PROJECT = ROOT / "tests" / "projects" / "versions"


def _admin(host: Any, path: str) -> httpx.Response:
    # What is registered is admin data: it takes the host's secret outside `stephost dev`.
    return httpx.get(host.url + path, headers={"authorization": f"Bearer {host.secret}"})


def _live(host: Any) -> dict[str, int]:
    body = _admin(host, "/__stephost/versions").json()
    return {v["version"]: v["live"] for v in body["versions"]}


def test_two_versions_of_one_step_register_side_by_side_and_only_the_active_is_routed(
    start_host: Any,
) -> None:
    host = start_host(PROJECT, live_steps=0, args=["--no-sidecars"])
    current = standalone_sidecar(host, PROJECT)
    staged = standalone_sidecar(host, PROJECT, "v2")
    try:
        # Two sidecars start at once beside a busy suite: give them a loaded machine's time.
        eventually(lambda: _live(host) == {"fs": 1, "v2": 1}, timeout=90, what="both versions to register")
        assert httpx.get(host.url + "/__stephost/versions").status_code == 401
        versions = _admin(host, "/__stephost/versions").json()
        assert versions["active"] == "fs"
        assert [v["active"] for v in versions["versions"]] == [True, False]
        staged_steps = _admin(host, "/__stephost/versions/v2/steps").json()
        assert [(s["name"], s["live"]) for s in staged_steps] == [("which", True)]
        # The step list shows the active version only.
        assert list(host.steps()) == ["which"]

        with host.client() as http:
            answers = {http.get("/which").json()["version"] for _ in range(30)}
        assert answers == {"fs"}

        # Without a live sidecar of the active version the step is unavailable: the staged
        # version never answers in its place.
        current.send_signal(signal.SIGTERM)
        assert current.wait(20) == 0
        eventually(lambda: _live(host) == {"fs": 0, "v2": 1}, what="the fs sidecar to leave")
        r = httpx.get(host.url + "/which")
        assert r.status_code == 503
        assert "no sidecar serving step 'which' (python) is connected" in r.json()["error"]
        assert _admin(host, "/__stephost/versions/v3/steps").status_code == 404
    finally:
        for proc in (current, staged):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
