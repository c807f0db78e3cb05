"""An installed host (a wheel in a fresh venv, no checkout in sight) finds its Node and Ruby
sidecars in the wheel: it says what to run while Node's packages are missing, and once they
are installed a request crosses Python, Ruby and TypeScript steps."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stephost_host.scaffold import TEMPLATES
from stephost_host.supervisor import runtimes
from stephost_host.supervisor.children import die_with_parent
from tests.harness import ROOT, eventually

MIXED = ROOT / "tests" / "projects" / "mixed"
# What the wheel is built from: the project's sources, without installed packages or caches.
SOURCES = "pyproject.toml setup.py MANIFEST.in README.md host sdk_python proto sidecars".split()
_CACHES = shutil.ignore_patterns("node_modules", "__pycache__", ".stephost", "*.pyc")


def SKIP(folder: str, names: list[str]) -> set[str]:
    """Installed packages, caches, and the sidecars' own tests (not the project templates' tests/)."""
    skipped = set(_CACHES(folder, names))
    if "templates" not in Path(folder).parts:
        skipped |= {n for n in names if n in ("test", "tests")}
    return skipped


NPM_HINT = re.compile(r"run: cd (\S+) && npm ci --omit=dev")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheel per test session, built from a copy of the sources (the checkout stays clean)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=SKIP)
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(path, src / name)
    out = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, src],
        check=True,
    )
    return next(out.glob("stephost-*.whl"))


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (not sharing site-packages) with the wheel and its dependencies."""
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    install = [sys.executable, "-m", "pip", "--python", env / "bin/python", "install", "-q", "--no-compile"]
    subprocess.run([*install, wheel], check=True)
    return env


class InstalledHost:
    """`stephost dev` from the venv, run in the project's folder as a user would."""

    def __init__(self, venv: Path, project: Path) -> None:
        self.project = project
        self.log_path = project.parent / f"host-{uuid.uuid4().hex[:6]}.log"
        (project / ".stephost" / "runtime.json").unlink(missing_ok=True)
        # Nothing may point back at the checkout or at the test's own environment.
        ours = ("STEPHOST_", "PYTHON", "VIRTUAL_ENV")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["stephost", "dev", "--port", "0", "--sidecar-port", "0"],
            cwd=project,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.url = ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_live(self, steps: int) -> InstalledHost:
        def live() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"host exited with {self.proc.returncode}:\n{self.log()}")
            runtime = self.project / ".stephost" / "runtime.json"
            if not runtime.exists():
                return False
            self.url = json.loads(runtime.read_text())["http"]
            return bool(httpx.get(self.url + "/__stephost/health", timeout=2).json()["live"] >= steps)

        eventually(live, 90, what=f"{steps} live steps\n{self.log()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


@pytest.fixture
def hosts() -> Iterator[list[InstalledHost]]:
    started: list[InstalledHost] = []
    yield started
    for host in started:
        host.stop()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_installed_host_runs_node_and_ruby_steps_from_the_wheel(
    venv: Path, tmp_path: Path, hosts: list[InstalledHost]
) -> None:
    project = tmp_path / "app"
    shutil.copytree(MIXED, project)

    # Without Node's packages: Python and Ruby steps serve, and the log says what to run where.
    first = InstalledHost(venv, project)
    hosts.append(first)
    first.wait_live(5)  # 4 Python steps, 1 Ruby step
    hint = eventually(lambda: NPM_HINT.search(first.log()), what="the npm ci hint")
    node_home = Path(hint.group(1))
    assert node_home.is_relative_to(venv), node_home
    first.stop()

    subprocess.run(
        ["npm", "ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=node_home,
        check=True,
    )

    # With them: all 8 steps serve, and one request crosses Python, Ruby and TypeScript.
    host = InstalledHost(venv, project)
    hosts.append(host)
    host.wait_live(8)
    assert "npm ci" not in host.log()
    item = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=host.url, timeout=30) as http:
        sent = http.post("/mixed/b", json={"id": item})
        assert sent.status_code == 202, sent.text

        def hops() -> list[dict[str, str]] | None:
            seen = http.get(f"/mixed/{item}").json()
            return seen if seen and len(seen) == 4 else None

        seen = eventually(hops, what="python -> ruby -> typescript -> python")
    assert [s["lang"] for s in seen] == ["python", "ruby", "typescript", "python"]
    assert {s["traceId"] for s in seen} == {sent.headers["x-trace-id"]}


@pytest.mark.timeout(600)  # the first test to use the wheel and venv fixtures builds them
def test_an_installed_host_creates_projects_from_its_templates(venv: Path, tmp_path: Path) -> None:
    """The wheel carries the templates (package data): the same files as from the checkout."""

    def files(project: Path) -> list[str]:
        return sorted(
            str(p.relative_to(project)) for p in project.rglob("*") if "node_modules" not in p.parts
        )

    for template in TEMPLATES:
        for stephost, name in ((str(venv / "bin" / "stephost"), "installed"), (sys.executable, "checkout")):
            cmd = [stephost] if name == "installed" else [stephost, "-m", "stephost_host"]
            subprocess.run(
                [*cmd, "create", f"{name}-{template}", "--template", template], cwd=tmp_path, check=True
            )
        assert files(tmp_path / f"installed-{template}") == files(tmp_path / f"checkout-{template}")
    package = json.loads((tmp_path / "installed-typescript" / "package.json").read_text())
    assert Path(package["devDependencies"]["stephost"].removeprefix("file:")).is_relative_to(venv)
    assert (
        tmp_path / "installed-typescript" / "node_modules" / "stephost" / "src" / "register.mjs"
    ).is_file()


# -- where the sidecars are found (pure code) -------------------------------------------


def test_a_checkout_finds_its_own_sidecars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEPHOST_SIDECARS_DIR", raising=False)
    assert runtimes.entry("node") == ROOT / "sidecars" / "node" / "src" / "main.js"
    assert runtimes.entry("ruby") == ROOT / "sidecars" / "ruby" / "bin" / "stephost-sidecar-ruby"
    assert runtimes.problem("ruby") is None


def test_a_configured_folder_wins_and_a_missing_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPHOST_SIDECARS_DIR", str(tmp_path))
    assert runtimes.entry("ruby") == tmp_path / "ruby" / "bin" / "stephost-sidecar-ruby"
    problem = runtimes.problem("node")
    assert problem and str(tmp_path / "node") in problem and "STEPHOST_SIDECARS_DIR" in problem


def test_node_packages_resolve_from_the_folder_or_above(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "node"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"dependencies": {"tsx": "^4", "@grpc/grpc-js": "^1"}}))
    assert runtimes.missing_node_packages(folder) == ["tsx", "@grpc/grpc-js"]
    for modules, name in ((folder / "node_modules", "tsx"), (tmp_path / "node_modules", "@grpc/grpc-js")):
        (modules / name).mkdir(parents=True)
        (modules / name / "package.json").write_text("{}")
    assert runtimes.missing_node_packages(folder) == []
