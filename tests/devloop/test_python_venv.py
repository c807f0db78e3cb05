"""A project with requirements.txt runs its Python steps in its own venv: `stephost install`
builds it (and says "up to date" when nothing changed), the step imports the project's package
and not the host's (FastAPI stays out), a changed requirements.txt is installed on the next
`stephost dev`, and a pip failure stops the host with the file and pip's own words."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from stephost_host.supervisor import python_env
from tests.devloop.projects import write_project
from tests.harness import STEPHOST, HostProcess, NatsServer

STEP = """
import sys

import humanize

config = {"name": "venv-py", "type": "api", "path": "/venv", "method": "GET", "emits": []}


async def handler(req, ctx):
    try:
        import fastapi  # the host's dependency: must not be importable here

        host_leak = fastapi.__name__
    except ImportError as exc:
        host_leak = type(exc).__name__
    return {"status": 200, "body": {"size": humanize.naturalsize(3_000_000), "fastapi": host_leak,
                                    "prefix": sys.prefix}}
"""


def install(project: Path, state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*STEPHOST, "install", str(project), "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_python_steps_run_in_the_projects_own_venv(nats_server: NatsServer, tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", {"venv_step.py": STEP}, {"requirements.txt": "humanize>=4\n"})
    state = tmp_path / "state"
    first = install(project, state)
    assert first.returncode == 0, first.stderr
    venv = python_env.venv_dir(state)
    assert f"installing the requirements of {project / 'requirements.txt'} into {venv}" in first.stdout
    assert f"the Python environment {venv} is ready" in first.stdout

    again = install(project, state)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"stephost install: {project}: dependencies are up to date"

    # The host runs on the state dir `stephost install` used, where the venv is.
    host = HostProcess(project, state, nats_server.url)
    try:
        host.wait_ready()
        body = httpx.get(host.url + "/venv", timeout=30).json()
        assert body == {"size": "3.0 MB", "fastapi": "ModuleNotFoundError", "prefix": str(venv)}
        assert not host.log_lines("installing the requirements")  # up to date: nothing to do at start
    finally:
        host.stop()

    # A changed requirements.txt: the next `stephost dev` brings the venv up to date first.
    (project / "requirements.txt").write_text("humanize>=4\npython-slugify>=8\n")
    host = HostProcess(project, state, nats_server.url, mode="dev")
    try:
        host.wait_ready(timeout=600)
        assert host.log_lines("installing the requirements of", "requirements.txt")
        assert host.log_lines("Successfully installed", "python-slugify")
        assert httpx.get(host.url + "/venv", timeout=30).json()["fastapi"] == "ModuleNotFoundError"
    finally:
        host.stop()


def test_a_pip_failure_names_the_file_and_stops_the_host(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj", {"venv_step.py": STEP}, {"requirements.txt": "humanize>=4\nnot a requirement!\n"}
    )
    state = tmp_path / "state"
    failed = install(project, state)
    assert failed.returncode == 1
    assert f"stephost install: pip could not install the requirements of {project / 'requirements.txt'}" in (
        failed.stderr
    )
    assert "Invalid requirement: 'not a requirement!'" in failed.stderr  # pip's own words

    dev = subprocess.run(
        [*STEPHOST, "dev", str(project), "--state-dir", str(state), "--port", "0", "--sidecar-port", "0"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert dev.returncode == 1
    assert "Invalid requirement: 'not a requirement!'" in dev.stderr
    assert f"stephost: pip could not install the requirements of {project / 'requirements.txt'}" in dev.stderr


def test_pyproject_dependencies_give_a_venv_and_a_project_without_them_keeps_the_host_python(
    tmp_path: Path,
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert python_env.requirement_files(project) == []
    assert python_env.sidecar_interpreter(project, tmp_path / "state") is None
    (project / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["humanize>=4"]\n')
    assert python_env.requirement_files(project) == [project / "pyproject.toml"]


def test_two_installs_at_once_build_the_venv_once(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", {"venv_step.py": STEP}, {"requirements.txt": "humanize>=4\n"})
    state = tmp_path / "state"
    cmd = [*STEPHOST, "install", str(project), "--state-dir", str(state)]
    both = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=600) for proc in both]
    assert [proc.returncode for proc in both] == [0, 0], outputs
    built = [out for out, _ in outputs if "installing the requirements of" in out]
    waited = [out for out, _ in outputs if out.strip().endswith("dependencies are up to date")]
    assert (len(built), len(waited)) == (1, 1), outputs
