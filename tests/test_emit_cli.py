"""The emit contract, with a real host, NATS and sidecar: a step emitting a topic its config
does not declare is warned about once (refused under strict_emits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.harness import eventually

SURPRISE = """
config = {"name": "surprise", "type": "api", "path": "/surprise", "method": "POST", "emits": ["declared"]}


async def handler(req, ctx):
    await ctx.emit({"topic": "declared", "data": {}})
    await ctx.emit({"topic": "undeclared", "data": {}})
    return {"status": 200, "body": {"ok": True}}
"""


def surprise_project(tmp_path: Path) -> Path:
    steps = tmp_path / "proj" / "steps"
    steps.mkdir(parents=True)
    (steps / "surprise_step.py").write_text(SURPRISE)
    return tmp_path / "proj"


def test_an_undeclared_emit_is_warned_about_once(start_host: Any, tmp_path: Path) -> None:
    host = start_host(surprise_project(tmp_path))
    for _ in range(3):
        assert httpx.post(host.url + "/surprise", json={}).json() == {"ok": True}
    warning = "emits topic 'undeclared', which its config does not declare (emits: declared)"
    eventually(lambda: host.log_lines(warning), what="the warning")
    assert len(host.log_lines(warning)) == 1
    assert "steps/surprise_step.py" in host.log_lines(warning)[0]
    assert not host.log_lines("'declared', which its config")


def test_strict_emits_refuses_an_undeclared_emit(start_host: Any, tmp_path: Path) -> None:
    host = start_host(surprise_project(tmp_path), env={"STEPHOST_STRICT_EMITS": "true"})
    r = httpx.post(host.url + "/surprise", json={})
    assert r.status_code == 500
    eventually(
        lambda: host.log_lines("does not declare", "strict_emits is on"), what="the refusal in the log"
    )
