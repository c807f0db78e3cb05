"""Starting the processes a benchmark measures, and waiting for them without sleeping blind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from stephost_host.supervisor.children import die_with_parent

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, accept: tuple[int, ...] = (200,)) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status in accept:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class Proc:
    def __init__(self, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._out = open(log, "wb")
        self.p = subprocess.Popen(
            cmd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
            preexec_fn=die_with_parent,  # a killed bench leaves no host running
        )

    def stop(self) -> None:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self._out.close()


def start_bare_fastapi(tmp: Path) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        tmp / "fastapi.log",
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/hello")
    return proc, url


@dataclass(frozen=True)
class Code:
    """The stephost code a host runs: this checkout, or a baseline checkout (``--baseline``)
    with its own ``make install`` done, whose interpreter imports that checkout's host."""

    label: str
    python: str

    @staticmethod
    def of(checkout: Path, label: str) -> Code:
        python = checkout / ".venv" / "bin" / "python"
        if not python.is_file():
            raise SystemExit(f"{checkout} has no .venv: run `make install` in that checkout first")
        return Code(label, str(python))


HERE = Code("this", sys.executable)


def state_dir(tmp: Path, project: Path, code: Code = HERE, label: str = "") -> Path:
    """Where the host of ``project`` running ``code`` keeps its state (runtime.json, secrets);
    ``label`` keeps one run's state apart from another of the same project and code."""
    return tmp / f"state-{project.parent.name}-{project.name}-{code.label}{label}"


def start_host(
    project: Path,
    tmp: Path,
    nats_url: str,
    live: int,
    code: Code = HERE,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    label: str = "",
) -> tuple[Proc, str]:
    """`stephost start` at log level warning (the bare baseline logs nothing per request either).

    ``args`` and ``env`` add settings."""
    state = state_dir(tmp, project, code, label)
    state.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = Proc(
        [
            code.python,
            "-m",
            "stephost_host",
            "start",
            str(project),
            "--port",
            str(port),
            "--sidecar-port",
            "0",
            "--nats-url",
            nats_url,
            "--state-dir",
            str(state),
            "--log-level",
            "warning",
            *args,
        ],
        tmp / f"host-{project.parent.name}-{project.name}-{code.label}{label}.log",
        env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            # runtime.json comes last: with --workers N, once every worker is up.
            if not (state / "runtime.json").exists():
                raise FileNotFoundError
            with urllib.request.urlopen(url + "/__stephost/health", timeout=2) as r:
                if json.load(r)["live"] >= live:
                    return proc, url
        except OSError:
            pass
        if proc.p.poll() is not None:
            break
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"host for {project} did not become ready; see {proc.log}")
