"""Starting real things for tests: nats-server, the host (as the `stephost` CLI in a
subprocess, with its supervisor starting real sidecars), and polling with a deadline."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import httpx._transports.default

from stephost_host.natsio.credentials import ServerAuth
from stephost_host.natsio.embedded import EmbeddedNats
from stephost_host.supervisor.children import die_with_parent

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _default_tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def _shared_tls(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
    """httpx's TLS context for a client with the default ``verify``, made once per process and
    shared (the same CA bundle, the same checks). httpx builds one per client, loading the CA
    bundle each time (~50 ms of CPU), and the tests make a client on nearly every poll:
    `httpx.get`, ``host.client()``. Any other ``verify`` or ``cert`` gets its own, as before."""
    if verify is True and cert is None and trust_env:
        return _default_tls()
    return httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)


httpx._transports.default.create_ssl_context = _shared_tls  # type: ignore[assignment]
STEPHOST = [sys.executable, "-m", "stephost_host"]
T = TypeVar("T")


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands out for bind(0) and outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(n: int) -> list[int]:
    """n distinct free loopback ports (held open together so they differ), below the ephemeral
    range, for a process that must get its port back after a restart: while it is down, any
    outgoing connection on the machine may be given a port from that range as its own (CI saw a
    restarted NATS node's monitor port taken that way: "bind: address already in use")."""
    ceiling = _ephemeral_floor()
    socks: list[socket.socket] = []
    try:
        while len(socks) < n:
            s = socket.socket()
            try:  # bind(0) where the ephemeral range leaves no room below it
                s.bind(("127.0.0.1", random.randrange(10_000, ceiling) if ceiling > 11_000 else 0))
            except OSError:  # taken: draw again
                s.close()
                continue
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def eventually(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, what: str = "") -> T:
    """Poll until check() returns a truthy value (or stops raising AssertionError)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (AssertionError, httpx.HTTPError, KeyError, ValueError) as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}: {last!r}")


async def until(check: Callable[[], T], timeout: float = 60.0, what: str = "") -> T:
    """``eventually`` for a test whose code under test runs on its own event loop: polls
    without blocking that loop."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        await asyncio.sleep(0.05)


class NatsServer:
    """A real nats-server on a free port with its own store; survives restart() on the same store.

    With ``auth`` it accepts only that identity, and ``url`` carries it."""

    def __init__(self, store: Path, auth: ServerAuth | None = None, extra_config: str = "") -> None:
        self.server = EmbeddedNats(store, port=-1, auth=auth, extra_config=extra_config)
        self.loop = asyncio.new_event_loop()
        self.url = self.loop.run_until_complete(self.server.start())
        self.port = int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        self.server.kill()
        self.loop.run_until_complete(self.server.proc.wait())  # type: ignore[union-attr]

    def restart(self) -> None:
        self.server.port = self.port
        self.url = self.loop.run_until_complete(self.server.start())

    def stop(self) -> None:
        self.loop.run_until_complete(self.server.stop())
        self.loop.close()


class HostProcess:
    """`stephost start|dev PROJECT` in a subprocess, output captured to a file."""

    def __init__(
        self,
        project: Path,
        state_dir: Path,
        nats_url: str | None,
        *,
        mode: str = "start",
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ) -> None:
        self.project = project
        self.state_dir = state_dir
        self.log_path = state_dir / "host.log"
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / "runtime.json").unlink(missing_ok=True)
        cmd = [
            *STEPHOST,
            mode,
            str(project),
            "--port",
            "0",
            "--sidecar-port",
            "0",
            "--state-dir",
            str(state_dir),
        ]
        if nats_url:
            cmd += ["--nats-url", nats_url]
        cmd += args or []
        full_env = {
            **os.environ,
            "STEPHOST_RETRY_BACKOFF_BASE": "0.2",
            "STEPHOST_HEARTBEAT_MS": "1000",
            "STEPHOST_DRAIN_SECONDS": "5",
            **(env or {}),
        }
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            start_new_session=True,
            preexec_fn=die_with_parent,  # an interrupted test run leaves no host running
        )
        self.info: dict[str, Any] = {}

    def wait_ready(self, live_steps: int = 1, timeout: float = 60.0) -> HostProcess:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"host exited with {self.proc.returncode}:\n{self.log()}")
            path = self.state_dir / "runtime.json"
            if not path.exists():
                return False
            self.info = json.loads(path.read_text())
            health = httpx.get(self.url + "/__stephost/health", timeout=2).json()
            return health["live"] >= live_steps

        eventually(ready, timeout, what=f"host with {live_steps} live steps\n{self.log()[-3000:]}")
        return self

    @property
    def url(self) -> str:
        return str(self.info["http"])

    @property
    def sidecar_address(self) -> str:
        return str(self.info["sidecar"])

    @property
    def secret(self) -> str:
        return str(self.info.get("secret", ""))

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_lines(self, *needles: str) -> list[str]:
        """The host's log lines that contain every one of ``needles``."""
        return [line for line in self.log().splitlines() if all(n in line for n in needles)]

    def steps(self) -> dict[str, dict[str, Any]]:
        auth = {"authorization": f"Bearer {self.secret}"}  # the step list is admin data
        return {
            s["name"]: s for s in httpx.get(self.url + "/__stephost/steps", headers=auth, timeout=5).json()
        }

    def sidecar_pids(self, language: str) -> list[int]:
        """Live sidecar processes of one language started by this host."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        pids = []
        for pid in map(int, out):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except FileNotFoundError:
                continue
            if language in cmdline:
                pids.append(pid)
        return pids

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 30.0) -> int:
        terminate(self.proc, timeout)
        self._log.close()
        return self.proc.returncode


def terminate(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM a process started in its own session; SIGKILL its group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class HostWithDoors:
    """A host on its own NATS with an HTTP client, a gRPC ingress stub and a NATS connection
    to count what the events stream holds (what a refused emit must not change)."""

    def __init__(self, project: Path, tmp: Path, live_steps: int, env: dict[str, str] | None = None) -> None:
        import grpc
        import nats

        from stephost_wire.v1 import ingress_pb2_grpc

        self.nats = NatsServer(tmp / "nats")
        self.host = HostProcess(project, tmp / "host", self.nats.url, env=env).wait_ready(live_steps)
        self.nc = self.nats.loop.run_until_complete(nats.connect(self.nats.url))
        self.channel = grpc.insecure_channel(str(self.host.info["ingress"]))
        self.stub = ingress_pb2_grpc.IngressStub(self.channel)
        self.http = httpx.Client(base_url=self.host.url, timeout=30)

    def stored(self) -> int:
        from stephost_host import names

        info = self.nats.loop.run_until_complete(self.nc.jetstream().stream_info(names.EVENTS_STREAM))
        return int(info.state.messages)

    def close(self) -> None:
        self.http.close()
        self.channel.close()
        self.nats.loop.run_until_complete(self.nc.close())
        self.host.stop()
        self.nats.stop()


def stephost(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The `stephost` command with these arguments, its output captured as text."""
    return subprocess.run([*STEPHOST, *args], capture_output=True, text=True, timeout=timeout)


def standalone_sidecar(
    host: HostProcess,
    project: Path,
    version: str | None = None,
    *,
    language: str = "python",
    output: IO[bytes] | int = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """`stephost sidecar LANGUAGE` dialling ``host`` on its own (not supervised), serving
    ``project`` as ``version`` (None: the project folder's, "fs"); its stdout and stderr go to
    ``output``."""
    env = {k: v for k, v in os.environ.items() if k != "STEPHOST_VERSION"}
    if version:
        env["STEPHOST_VERSION"] = version
    return subprocess.Popen(
        [
            *STEPHOST,
            "sidecar",
            language,
            "--connect",
            host.sidecar_address,
            "--secret",
            host.secret,
            str(project),
        ],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if output != subprocess.DEVNULL else subprocess.DEVNULL,
    )
