"""A real host on a project, for tests: ``stephost dev`` on free ports with a temp state dir.

The host runs with its own embedded NATS and the testing endpoints on; the tester talks to
it over HTTP only (``/__stephost/testing/...`` with the host's secret), exactly as the Node
and Ruby testers do. Nothing here is bound to an event loop: the host is a subprocess and
each request runs on a worker thread, so one tester can serve many tests (and loops).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TESTING = "/__stephost/testing"
START_TIMEOUT = 90.0  # seconds for the host and every sidecar to come up
STOP_TIMEOUT = 15.0


class TesterError(RuntimeError):
    """The host did not start, stopped, or refused what the tester asked."""

    __test__ = False  # not a test class, though pytest's naming rule says so


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any  # decoded JSON when the response is JSON, else text


def _decode(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type and text:
        with contextlib.suppress(ValueError):
            return json.loads(text)
    return text


@dataclass
class Watcher:
    """The events of one topic stored since ``watch`` began (read after each ``wait_events``)."""

    tester: Tester
    topic: str
    cursor: int
    events: list[dict[str, Any]] = field(default_factory=list)

    def captured_events(self) -> list[dict[str, Any]]:
        """``[{topic, data, traceId}]``, oldest first."""
        return [{k: e[k] for k in ("topic", "data", "traceId")} for e in self.events]

    getCapturedEvents = captured_events

    def refresh_sync(self) -> None:
        while True:
            page = self.tester._admin("GET", "/events", query={"topic": self.topic, "after": self.cursor})
            self.events.extend(page["events"])
            self.cursor = page["last"]
            if not page["events"]:
                return

    async def refresh(self) -> None:
        await asyncio.to_thread(self.refresh_sync)


class Tester:
    """One host on ``project``; start it with ``start_sync`` (or ``create_tester``)."""

    __test__ = False  # not a test class, though pytest's naming rule says so

    def __init__(self, project: str | os.PathLike[str], *, env: dict[str, str] | None = None) -> None:
        self.project = Path(project).resolve()
        if not self.project.is_dir():
            raise TesterError(f"project folder {self.project} does not exist: pass the folder with steps/")
        self.env = dict(env or {})
        self.url = ""
        self.secret = ""
        self._state_dir = Path(tempfile.mkdtemp(prefix="stephost-test-"))
        self._log_path = self._state_dir / "host.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._watchers: list[Watcher] = []

    # -- lifecycle ----------------------------------------------------------------

    def start_sync(self, timeout: float = START_TIMEOUT) -> Tester:
        cmd = [sys.executable, "-m", "stephost_host", "dev", str(self.project)]
        cmd += ["--port", "0", "--sidecar-port", "0", "--state-dir", str(self._state_dir)]
        env = {**os.environ, "STEPHOST_TESTING_ENDPOINTS": "true", **self.env}
        with open(self._log_path, "wb") as log:
            self._proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        runtime = self._state_dir / "runtime.json"
        deadline = time.monotonic() + timeout
        # runtime.json is written last, once every sidecar has loaded its steps and said hello.
        while not runtime.exists():
            if self._proc.poll() is not None:
                raise TesterError(f"the host exited with code {self._proc.returncode}:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                tail = self.log()[-4000:]
                self.close_sync()
                raise TesterError(f"the host was not ready within {timeout:g}s:\n{tail}")
            time.sleep(0.05)
        atexit.register(self.close_sync)  # a test run that never calls close leaves no host behind
        info = json.loads(runtime.read_text())
        self.url, self.secret = info["http"], info["secret"]
        return self

    def close_sync(self) -> None:
        atexit.unregister(self.close_sync)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(self._state_dir, ignore_errors=True)

    async def close(self) -> None:
        await asyncio.to_thread(self.close_sync)

    def log(self) -> str:
        """The host's output so far (its sidecars' too)."""
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    # -- HTTP -----------------------------------------------------------------------

    def request_sync(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        if not self.url:
            raise TesterError("the tester is not started (use create_tester or start_sync)")
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers.setdefault("content-type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, got, raw = r.status, dict(r.headers.items()), r.read()
        except urllib.error.HTTPError as e:
            status, got, raw = e.code, dict(e.headers.items()), e.read()
        except urllib.error.URLError as e:
            raise TesterError(f"{method} {path}: the host did not answer ({e.reason})") from None
        lower = {k.lower(): v for k, v in got.items()}
        return Response(status, lower, _decode(raw, lower.get("content-type", "")))

    def _admin(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        full = TESTING + path + ("?" + urllib.parse.urlencode(query) if query else "")
        r = self.request_sync(method, full, body, {"authorization": f"Bearer {self.secret}"})
        if r.status != 200:
            raise TesterError(f"{method} {full} answered {r.status}: {r.body}")
        return r.body

    async def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        return await asyncio.to_thread(self.request_sync, "POST", path, body, headers)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await asyncio.to_thread(self.request_sync, "GET", path, None, headers)

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        return await asyncio.to_thread(self.request_sync, method.upper(), path, body, headers)

    # -- events ---------------------------------------------------------------------

    def emit_sync(self, topic: str, data: Any = None, trace_id: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._admin(
            "POST", "/emit", {"topic": topic, "data": data, "traceId": trace_id or ""}
        )
        return result

    async def emit(self, topic: str, data: Any = None, trace_id: str | None = None) -> dict[str, Any]:
        """Store an event as a step's ``ctx.emit`` would; returns ``{traceId, seq}``."""
        return await asyncio.to_thread(self.emit_sync, topic, data, trace_id)

    def watch_sync(self, topic: str) -> Watcher:
        watcher = Watcher(self, topic, self._admin("GET", "/events", query={"topic": topic})["last"])
        self._watchers.append(watcher)
        return watcher

    async def watch(self, topic: str) -> Watcher:
        """Capture the topic's events from now on (see ``Watcher.captured_events``)."""
        return await asyncio.to_thread(self.watch_sync, topic)

    def wait_events_sync(self, timeout: float = 30.0) -> None:
        deadline, idle_reads = time.monotonic() + timeout, 0
        while idle_reads < 2:  # twice in a row: a handler's own emit is stored before its ack
            status = self._admin("GET", "/idle")
            idle_reads = idle_reads + 1 if status["idle"] else 0
            if time.monotonic() > deadline:
                raise TesterError(
                    f"events were still pending after {timeout:g}s ({status['pending']} queued or in "
                    f"flight); a handler may hang. Host log:\n{self.log()[-3000:]}"
                )
            time.sleep(0.02)
        for watcher in self._watchers:
            watcher.refresh_sync()

    async def wait_events(self, timeout: float = 30.0) -> None:
        """Return once every stored event was handled or dead-lettered, then update watchers."""
        await asyncio.to_thread(self.wait_events_sync, timeout)

    async def sleep(self, ms: float) -> None:
        await asyncio.sleep(ms / 1000)


async def create_tester(
    project: str | os.PathLike[str] | None = None, *, env: dict[str, str] | None = None
) -> Tester:
    """Start a host on ``project`` (default: $STEPHOST_PROJECT or the current folder)."""
    tester = Tester(project or os.environ.get("STEPHOST_PROJECT") or ".", env=env)
    return await asyncio.to_thread(tester.start_sync)
