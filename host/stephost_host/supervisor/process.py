"""Runs one language's sidecar as a child process, the way `stephost dev` needs it.

Own process group (so a signal reaches the whole tree), output mirrored into the host
log, a readiness handshake (the child's hello, matched by the sidecar id we gave it,
within the hello deadline), restart with backoff when it dies, and a stop ladder:
SIGTERM, wait, SIGKILL.

A sidecar that cannot exit by itself is killed and restarted the same way: one that
sends no hello in time (a step file that hangs at import; the child keeps the path it
is importing in a progress file, so the log names it) and one the link drops for
silence (stopped, or wedged so hard its heartbeats stop). While one is down for such
a cause, ``SidecarService.outages`` holds it so its routes answer 503 saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from stephost_host import envfile
from stephost_host.link.server import SidecarService
from stephost_host.logs import LEVELS
from stephost_host.observe.metrics import SHARED_DIR_ENV
from stephost_host.supervisor.children import die_with_parent, terminate
from stephost_host.supervisor.languages import Language

log = logging.getLogger("stephost.supervisor")
HELLO_TIMEOUT = 30.0  # the default of the hello_timeout_seconds setting
HEALTHY_AFTER = 30.0  # a sidecar up this long has its restart backoff reset
STOP_GRACE = 12.0  # the sidecar drains in-flight work for up to 10s on SIGTERM
DRAIN = 10.0  # how long a reload lets the old sidecar finish its work before stopping it
# Sidecars write nothing into the project (it may be a read-only mount): no __pycache__ next
# to Python step files. The host's own environment can still override it (an empty value).
CHILD_DEFAULTS = {"PYTHONDONTWRITEBYTECODE": "1"}
# Of the host's environment, what is the host's alone: the directory of its metrics files (set
# for workers), which a step's own prometheus_client would otherwise write into.
HOST_ONLY = frozenset({SHARED_DIR_ENV})


def child_line(text: str) -> tuple[int, str]:
    """A sidecar's output line -> (level, message), keeping the level the sidecar chose.

    Sidecars print "LEVEL message", or JSON with "level" and "msg" when STEPHOST_LOG_FORMAT=json.
    """
    if text.startswith("{"):
        try:
            doc = json.loads(text)
            return LEVELS.get(str(doc.get("level", "")).lower(), logging.INFO), str(
                doc.get("msg", doc.get("message", text))
            )
        except ValueError:
            pass
    word, _, rest = text.partition(" ")
    level = LEVELS.get(word.lower())
    return (level, rest) if level else (logging.INFO, text)


class SidecarProcess:
    def __init__(
        self,
        lang: Language,
        project: Path,
        connect: str,
        secret: str,
        service: SidecarService,
        extra_env: dict[str, str] | None = None,
        hello_timeout: float = HELLO_TIMEOUT,
    ) -> None:
        self.lang = lang
        self.project = project
        self.connect = connect
        self.secret = secret
        self.service = service
        self.extra_env = extra_env or {}
        self.hello_timeout = hello_timeout
        self.proc: asyncio.subprocess.Process | None = None
        self.sidecar_id = ""
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        self._lock = asyncio.Lock()
        self._killed_because = ""  # why we killed the current child, for the restart line
        self._ready_at = 0.0
        # The child writes the step file it is importing here (STEPHOST_LOAD_PROGRESS).
        fd, self._progress = tempfile.mkstemp(prefix=f"stephost-{lang.name}-", suffix=".loading")
        os.close(fd)
        service.silence_listeners.append(self._on_silence)

    async def _spawn(self) -> tuple[asyncio.subprocess.Process, str, asyncio.Future[Any]]:
        sidecar_id = f"{self.lang.name}-{uuid.uuid4().hex[:8]}"
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.service.hello_waiters[sidecar_id] = ready
        env = {
            **CHILD_DEFAULTS,
            # Read at every start: a restart after .env changed hands the new values over.
            **envfile.merged(self.project, {k: v for k, v in os.environ.items() if k not in HOST_ONLY}),
            **self.extra_env,
            "STEPHOST_CONNECT": self.connect,
            "STEPHOST_SECRET": self.secret,
            "STEPHOST_SIDECAR_ID": sidecar_id,
            "STEPHOST_LOAD_PROGRESS": self._progress,
            "PYTHONUNBUFFERED": "1",
        }
        self._write_progress("")
        proc = await asyncio.create_subprocess_exec(
            *self.lang.command(),
            str(self.project),
            cwd=str(self.project),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        asyncio.get_running_loop().create_task(self._mirror(proc))
        log.info("started %s sidecar (pid %d)", self.lang.name, proc.pid, extra={"language": self.lang.name})
        return proc, sidecar_id, ready

    async def _mirror(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout
        child = logging.getLogger(f"stephost.{self.lang.name}")
        while line := await proc.stdout.readline():
            level, text = child_line(line.decode(errors="replace").rstrip())
            child.log(level, text, extra={"language": self.lang.name})

    async def _await_ready(
        self, proc: asyncio.subprocess.Process, sidecar_id: str, ready: asyncio.Future[Any]
    ) -> bool:
        exited = asyncio.ensure_future(proc.wait())
        try:
            done, _ = await asyncio.wait(
                {ready, exited}, timeout=self.hello_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            exited.cancel()
            self.service.hello_waiters.pop(sidecar_id, None)
        if ready in done:
            self._ready_at = time.monotonic()
            self.service.outages.pop(self.lang.name, None)
            return True
        name = self.lang.name
        if proc.returncode is not None:
            why = f"{name} sidecar exited with code {proc.returncode} before its hello"
            self._down(why)
            log.error(why, extra={"language": name})
            return False
        # Still running but silent: it hangs while loading. Say where, and kill it (a hung
        # child may not get as far as handling SIGTERM).
        loading = self._read_progress()
        why = (
            f"{name} sidecar: {loading} did not finish importing within {self.hello_timeout:g}s"
            if loading
            else f"{name} sidecar sent no hello within {self.hello_timeout:g}s"
        )
        self._kill(proc, why)
        log.error(
            "%s; killed it (if it is only slow, raise hello_timeout_seconds)", why, extra={"language": name}
        )
        return False

    def _on_silence(self, sidecar_id: str, cause: str) -> None:
        """The link dropped a sidecar for silence: if it is ours, kill it; _keep_alive restarts it."""
        if (
            sidecar_id == self.sidecar_id
            and self.proc
            and self.proc.returncode is None
            and not self._stopping
        ):
            self._kill(self.proc, cause)

    def _kill(self, proc: asyncio.subprocess.Process, why: str) -> None:
        self._killed_because = why
        self._down(why)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _down(self, why: str) -> None:
        """Until its next hello, this language's routes answer 503 with ``why``."""
        self.service.outages[self.lang.name] = why

    def _write_progress(self, text: str) -> None:
        try:
            Path(self._progress).write_text(text)
        except OSError:
            pass

    def _read_progress(self) -> str:
        try:
            return Path(self._progress).read_text().strip()
        except OSError:
            return ""

    async def start(self) -> bool:
        """Start it and wait for its hello; keeps it running afterwards."""
        async with self._lock:
            self.proc, self.sidecar_id, ready = await self._spawn()
            ok = await self._await_ready(self.proc, self.sidecar_id, ready)
            self._watch = asyncio.get_running_loop().create_task(self._keep_alive())
            return ok

    async def _keep_alive(self) -> None:
        backoff = 1.0
        while not self._stopping:
            assert self.proc
            code = await self.proc.wait()
            if self._stopping:
                return
            if self._ready_at and time.monotonic() - self._ready_at > HEALTHY_AFTER:
                backoff = 1.0
            why, self._killed_because = self._killed_because, ""
            if not why:
                why = f"{self.lang.name} sidecar exited with code {code}"
                self._down(why)
            log.error("%s; restarting in %.0fs", why, backoff, extra={"language": self.lang.name})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            if self._stopping:
                return
            async with self._lock:
                self._ready_at = 0.0
                self.proc, self.sidecar_id, ready = await self._spawn()
                await self._await_ready(self.proc, self.sidecar_id, ready)

    async def reload(self) -> None:
        """Start a fresh sidecar, wait for its hello, then stop the old one: no gap in service."""
        async with self._lock:
            old, old_id = self.proc, self.sidecar_id
            if self._watch:
                self._watch.cancel()
            self.proc, self.sidecar_id, ready = await self._spawn()
            await self._await_ready(self.proc, self.sidecar_id, ready)
            if old:
                await self.service.retire(old_id, within=DRAIN)
                await _terminate(old)
            self._watch = asyncio.get_running_loop().create_task(self._keep_alive())

    async def stop(self) -> None:
        self._stopping = True
        if self._watch:
            self._watch.cancel()
        async with self._lock:
            if self.proc:
                await _terminate(self.proc)
        with contextlib.suppress(ValueError):
            self.service.silence_listeners.remove(self._on_silence)
        with contextlib.suppress(OSError):
            os.unlink(self._progress)


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    await terminate(proc, STOP_GRACE, f"sidecar pid {proc.pid}")
