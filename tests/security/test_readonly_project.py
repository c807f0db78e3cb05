"""The host and its supervised sidecars (all three languages) serve a project mounted read-only.

A container mounts the project ``:ro`` (docker/compose.yaml); nothing the host or a sidecar
does may need to write into it. Each host here runs in a private mount namespace where the
project copy is bind-mounted read-only, as in the container; the test itself sees the copy
writable, so a listing taken before and after shows anything that was written into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stephost_host.state_dir import user_state_dir
from tests import harness
from tests.harness import ROOT, HostProcess

FUZZ_PROJECT = ROOT / "tests" / "projects" / "fuzz"
LIVE_STEPS = 5  # three echo api steps, a GET api step and an event step
# Root can make a mount namespace as is; anyone else maps themselves to root in a user namespace.
UNSHARE = ["unshare", "-m", "--"] if os.geteuid() == 0 else ["unshare", "--mount", "--map-root-user", "--"]

# Runs inside the new namespace: mount the project read-only, optionally drop the
# --state-dir the harness always passes (to see where the host puts its state by itself),
# then become the host (exec: same pid, so the harness still knows it).
LAUNCH = """
import os, subprocess, sys
project, drop_state_dir, *argv = sys.argv[1:]
subprocess.run(["mount", "--bind", "-o", "ro", project, project], check=True)
if drop_state_dir == "1":
    at = argv.index("--state-dir")
    del argv[at : at + 2]
os.execv(sys.executable, [sys.executable, "-m", "stephost_host", *argv])
"""


def _namespace_problem(scratch: Path) -> str | None:
    """Why a read-only bind mount in a private mount namespace cannot be made here, if it cannot."""
    if not shutil.which("unshare"):
        return "unshare (util-linux) is not installed"
    scratch.mkdir(exist_ok=True)
    probe = [*UNSHARE, "sh", "-c", 'mount --bind -o ro "$0" "$0" && ! touch "$0/x" 2>/dev/null', str(scratch)]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        return f"cannot make a read-only bind mount with {' '.join(UNSHARE)}: {done.stderr.strip()}"
    return None


def _launcher(project: Path, drop_state_dir: bool) -> list[str]:
    return [*UNSHARE, sys.executable, "-c", LAUNCH, str(project), "1" if drop_state_dir else "0"]


def _listing(project: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(project)), p.stat().st_size, p.stat().st_mtime_ns) for p in project.rglob("*")
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the fuzz project, in an environment that would write bytecode."""
    copy = tmp_path / "project"
    shutil.copytree(FUZZ_PROJECT, copy)
    # The test runner's environment may already say this; the host must not rely on it.
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    return copy


@pytest.fixture
def read_only(tmp_path: Path) -> None:
    """Skips when this machine cannot give a process a read-only view of the project."""
    problem = _namespace_problem(tmp_path / "probe")
    if problem:
        pytest.skip(problem)


def _start(project: Path, state_dir: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> HostProcess:
    """The harness' host, launched through the read-only namespace without --state-dir."""
    monkeypatch.setattr(harness, "STEPHOST", _launcher(project, drop_state_dir=True))
    return HostProcess(project, state_dir, None, **kwargs)  # type: ignore[arg-type]


def _ask_every_language(host: HostProcess) -> None:
    with host.client() as client:
        for lang, name in (("py", "python"), ("node", "node"), ("rb", "ruby")):
            r = client.post(f"/fuzz/{lang}/7?q=1", json={"n": lang})
            assert r.status_code == 200, r.text
            assert r.json()["language"] == name
            assert r.json()["body"] == {"n": lang}
        assert client.get("/fuzz/py", params={"a": "b"}).json()["query"] == {"a": "b"}


def test_read_only_project_gets_a_state_dir_outside_it(
    project: Path, read_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No state_dir set: the host picks a per-user one (embedded NATS store included) and serves."""
    before = _listing(project)
    expected = user_state_dir(project)
    assert expected is not None
    host = _start(project, expected, monkeypatch, mode="dev")
    try:
        host.wait_ready(LIVE_STEPS)
        assert host.info["pid"] == host.proc.pid
        _ask_every_language(host)
        assert host.log_lines(f"state directory: {expected}"), host.log()[-3000:]
        assert (expected / "nats" / "jetstream").is_dir()
    finally:
        host.stop()
    assert _listing(project) == before


def test_read_only_project_with_state_dir_setting(
    project: Path, tmp_path: Path, read_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "configured-state"
    monkeypatch.setenv("STEPHOST_STATE_DIR", str(state))
    before = _listing(project)
    host = _start(project, state, monkeypatch)
    try:
        host.wait_ready(LIVE_STEPS)
        _ask_every_language(host)
        assert (state / "runtime.json").is_file() and (state / "nats").is_dir()
    finally:
        host.stop()
    assert _listing(project) == before
    assert not (tmp_path / "xdg").exists()


@pytest.mark.parametrize("how", ["no default", "setting"])
def test_no_writable_state_dir_is_a_clear_error(project: Path, read_only: None, how: str) -> None:
    if how == "no default":  # the per-user folder is inside the read-only mount too
        env = {**os.environ, "XDG_STATE_HOME": str(project / "xdg")}
        cmd, needle = _launcher(project, drop_state_dir=False), "STEPHOST_STATE_DIR"
    else:
        env = {**os.environ, "STEPHOST_STATE_DIR": str(project / "state")}
        cmd, needle = (
            _launcher(project, drop_state_dir=False),
            f"'state_dir' (from environment) = '{project}/state'",
        )
    args = ["start", str(project), "--port", "0", "--sidecar-port", "0"]
    done = subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stderr[-3000:]
    assert needle in done.stderr, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def test_supervised_sidecars_write_nothing_into_a_writable_project(project: Path, tmp_path: Path) -> None:
    """Even where they could: no __pycache__ next to Python step files, no tool caches."""
    before = _listing(project)
    host = HostProcess(project, tmp_path / "state", None)
    try:
        host.wait_ready(LIVE_STEPS)
        _ask_every_language(host)
    finally:
        host.stop()
    assert _listing(project) == before
