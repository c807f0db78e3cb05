"""The emit contract, with a real host, NATS and sidecar: a step emitting a topic its config
does not declare is warned about once (refused under strict_emits); `stephost emit` needs the
event data and warns about a topic nobody subscribes to; `stephost emit` and `stephost dlq`
find the running host the same way."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.harness import ROOT, STEPHOST, eventually

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


def stephost(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*STEPHOST, *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_emit_needs_the_event_data_and_warns_about_a_topic_without_subscribers(start_host: Any) -> None:
    host = start_host(ROOT / "tests" / "projects" / "slow_events", live_steps=3)
    where = ["--state-dir", str(host.state_dir)]
    missing = stephost("emit", *where, "--topic", "work.start")
    assert missing.returncode == 2 and "--message" in missing.stderr

    nobody = stephost("emit", *where, "--topic", "work.strat", "--message", "{}")
    assert nobody.returncode == 0, nobody.stderr
    assert "no step subscribes to topic 'work.strat'" in nobody.stderr

    job = {"id": "from-stdin", "seconds": 0}
    piped = stephost("emit", *where, "--topic", "work.start", "--message-file", "-", stdin=json.dumps(job))
    assert piped.returncode == 0, piped.stderr
    assert "no step subscribes" not in piped.stderr
    assert json.loads(piped.stdout)["sequence"] > 0
    eventually(lambda: httpx.get(f"{host.url}/work/work/from-stdin").json(), what="the piped event")

    bad = stephost("emit", *where, "--topic", "work.start", "--message", "-", stdin="{nope")
    assert bad.returncode == 2 and "--message - (stdin) is not valid JSON" in bad.stderr


def test_emit_and_dlq_find_the_running_host_the_same_way(tmp_path: Path) -> None:
    project = tmp_path / "not-running"
    project.mkdir()
    emit = stephost("emit", "--project", str(project), "--topic", "t", "--message", "1")
    dlq = stephost("dlq", "list", "--project", str(project))
    for done, override in ((emit, "--address"), (dlq, "--url")):
        assert done.returncode == 2, done.stderr
        assert f"no running host found for project {project}" in done.stderr
        assert "--project DIR" in done.stderr and override in done.stderr


def test_version_is_the_installed_package_version() -> None:
    done = stephost("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"stephost {importlib.metadata.version('stephost')}"
