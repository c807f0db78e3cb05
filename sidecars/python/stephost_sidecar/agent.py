"""The agent: a sidecar with no project that builds versions and runs each in a worker.

It dials the host like any sidecar (``Hello.agent``) and obeys ``AgentCommand``s:

- chunks: the bundle the next command of the same request uses (digest checked);
- build: unpack the source, run this language's build (``build.py``), load every step the
  way a worker would (``--check``), send back the built tree as a bundle and the result;
- start: unpack a built bundle into ``<work-dir>/versions/<version>`` and run a worker (this
  sidecar in its normal mode on that folder, with STEPHOST_VERSION set), which dials the
  host itself; its state changes and output lines go to the host;
- stop: SIGTERM the worker (it drains), SIGKILL after the drain time, remove the tree;
- cancel: stop a build and its whole process group.

When the agent stops (SIGTERM, or the host refusing it) its workers and builds stop too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stephost_sidecar import build as builder
from stephost_sidecar.connection import Connection, Options, build_hello, serve_until_stopped
from stephost_sidecar.loader import Project
from stephost_sidecar.processes import Group
from stephost_sidecar.proto import pb
from stephost_wire import bundle

log = logging.getLogger("stephost.agent")
Reply = Callable[[pb.SidecarMessage], None]
SAFE_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
DEFAULT_BUILD_TIMEOUT = 600


class Worker:
    def __init__(self, version: str, worker_id: str, group: Group, root: Path) -> None:
        self.version = version
        self.worker_id = worker_id
        self.group = group
        self.root = root
        self.stopping = False
        self.watcher: asyncio.Task[None] | None = None


class Agent:
    """Obeys the host's commands; implements the connection's Dispatcher (an agent runs no steps)."""

    def __init__(self, options: Options, work_dir: Path, send: Reply) -> None:
        self.options = options
        self.work = work_dir
        self.send = send  # on the current stream (worker states and output)
        self._bundles: dict[str, bundle.Assembly] = {}
        self._received: dict[str, bytes | bundle.BundleError] = {}
        self._builds: dict[str, asyncio.Task[None]] = {}
        self._workers: dict[str, Worker] = {}
        self._count = 0
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the Dispatcher the connection wants ---------------------------------

    @property
    def in_flight(self) -> int:
        return 0

    def start(self, inv: pb.Invocation, reply: Reply) -> None:
        error = pb.StepError(type="AgentRunsNoSteps", message="an agent runs no steps", retryable=True)
        reply(pb.SidecarMessage(result=pb.InvocationResult(invocation_id=inv.invocation_id, error=error)))

    def cancel(self, invocation_id: str) -> None:
        pass

    def ack(self, invocation_id: str, seq: int) -> None:
        pass

    def abandon(self) -> None:
        pass  # builds and workers carry on: the agent dials again and the workers on their own

    async def drain(self, timeout: float) -> None:
        """The agent is stopping: so do its builds and workers (no orphans)."""
        for task in self._builds.values():
            task.cancel()
        await asyncio.gather(
            *self._builds.values(),
            *(self._stop_worker(w, timeout) for w in list(self._workers.values())),
            return_exceptions=True,
        )

    # -- commands ------------------------------------------------------------

    def command(self, cmd: pb.AgentCommand, reply: Reply) -> None:
        kind = cmd.WhichOneof("op")
        rid = cmd.request_id
        if kind == "chunk":
            self._chunk(rid, cmd.chunk)
        elif kind == "build":
            self._builds[rid] = asyncio.ensure_future(self._build(rid, cmd.build, reply))
        elif kind == "start":
            self._keep(asyncio.ensure_future(self._start(rid, cmd.start, reply)))
        elif kind == "stop":
            self._keep(asyncio.ensure_future(self._stop(rid, cmd.stop, reply)))
        elif kind == "cancel":
            task = self._builds.get(cmd.cancel.target_request_id)
            if task is not None:
                task.cancel()

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)  # the loop holds tasks weakly
        task.add_done_callback(self._tasks.discard)

    def _chunk(self, rid: str, chunk: pb.BundleChunk) -> None:
        if rid in self._received:
            return  # already failed
        assembly = self._bundles.setdefault(rid, bundle.Assembly())
        try:
            data = assembly.add(chunk)
        except bundle.BundleError as exc:
            self._bundles.pop(rid, None)
            self._received[rid] = exc
            return
        if data is not None:
            self._bundles.pop(rid, None)
            self._received[rid] = data

    def _take_bundle(self, rid: str) -> bytes:
        got = self._received.pop(rid, None)
        self._bundles.pop(rid, None)
        if isinstance(got, bundle.BundleError):
            raise got
        if got is None:
            raise bundle.BundleError("no bundle was sent before the command")
        return got

    # -- build ---------------------------------------------------------------

    async def _build(self, rid: str, req: pb.BuildRequest, reply: Reply) -> None:
        started = time.monotonic()
        tree = self.work / "builds" / rid

        def event(**kw: object) -> None:
            reply(pb.SidecarMessage(agent=pb.AgentEvent(request_id=rid, **kw)))  # type: ignore[arg-type]

        def line(text: str, stream: str = "stdout") -> None:
            event(log=pb.AgentLog(line=text, stream=stream, version=req.version))

        result = pb.BuildResult()
        timeout = req.timeout_seconds or DEFAULT_BUILD_TIMEOUT
        try:
            source = self._take_bundle(rid)
            shutil.rmtree(tree, ignore_errors=True)
            bundle.unpack(source, tree)
            env = {**os.environ, **req.env}
            async with asyncio.timeout(timeout):
                result = await builder.build(tree, env, line)
            if result.ok:
                built = bundle.pack(tree, builder.KEPT_IN_BUNDLE)
                result.bundle_digest = bundle.digest(built)
                result.bundle_size = len(built)
                for chunk in bundle.chunks(built):
                    event(chunk=chunk)
        except bundle.BundleError as exc:
            result = pb.BuildResult(ok=False, error=f"the source bundle: {exc}")
        except TimeoutError:
            result = pb.BuildResult(ok=False, error=f"the build ran past its deadline of {timeout}s")
        except asyncio.CancelledError:
            result = pb.BuildResult(ok=False, error="the build was cancelled")
        except Exception as exc:  # the agent's own failure still answers the host
            log.exception("build %s failed", rid)
            result = pb.BuildResult(ok=False, error=f"the agent failed: {type(exc).__name__}: {exc}")
        finally:
            self._builds.pop(rid, None)
            shutil.rmtree(tree, ignore_errors=True)
        result.seconds = time.monotonic() - started
        line(f"build {'succeeded' if result.ok else 'failed: ' + result.error} in {result.seconds:.1f}s")
        event(build_result=result)

    # -- workers -------------------------------------------------------------

    async def _start(self, rid: str, req: pb.StartVersion, reply: Reply) -> None:
        def state(worker_id: str = "", **kw: object) -> None:
            ws = pb.WorkerState(version=req.version, worker_id=worker_id, **kw)  # type: ignore[arg-type]
            reply(pb.SidecarMessage(agent=pb.AgentEvent(request_id=rid, worker=ws)))

        running = self._workers.get(req.version)
        if running is not None:  # asked twice: the one running answers
            state(running.worker_id, state="running")
            return
        try:
            if not SAFE_VERSION.match(req.version):
                raise ValueError(f"version {req.version!r} is not a safe folder name")
            root = self._unpack_version(req.version, self._take_bundle(rid), req.bundle_digest)
            self._count += 1
            worker_id = f"{self.options.sidecar_id}-{req.version}-{self._count}"
            state(worker_id, state="starting")
            group = await Group.spawn(
                builder.worker_command(root),
                cwd=root,
                env=self._worker_env(req, worker_id),
                on_line=lambda text, stream: self._worker_line(req.version, text, stream),
            )
        except Exception as exc:
            state(state="exited", exit_code=-1, detail=f"could not start: {exc}")
            return
        worker = Worker(req.version, worker_id, group, root)
        self._workers[req.version] = worker
        worker.watcher = asyncio.ensure_future(self._watch(worker))
        state(worker_id, state="running")

    def _unpack_version(self, version: str, data: bytes, expected: str) -> Path:
        found = bundle.digest(data)
        if expected and found != expected:
            raise bundle.BundleError(f"the bundle's digest is {found}, StartVersion says {expected}")
        root = self.work / "versions" / version
        marker = self.work / "versions" / f"{version}.digest"
        if root.is_dir() and marker.is_file() and marker.read_text() == found:
            return root  # the same content is unpacked already
        shutil.rmtree(root, ignore_errors=True)
        bundle.unpack(data, root)
        marker.write_text(found)
        return root

    def _worker_env(self, req: pb.StartVersion, worker_id: str) -> dict[str, str]:
        return {
            **os.environ,
            **req.env,
            "STEPHOST_VERSION": req.version,
            "STEPHOST_SIDECAR_ID": worker_id,
            "STEPHOST_CONNECT": self.options.target,
            "STEPHOST_SECRET": self.options.secret,
            # Node and Ruby workers watch it; Linux signals a Python worker (processes.py).
            "STEPHOST_AGENT_PID": str(os.getpid()),
        }

    def _worker_line(self, version: str, text: str, stream: str) -> None:
        self.send(
            pb.SidecarMessage(agent=pb.AgentEvent(log=pb.AgentLog(line=text, stream=stream, version=version)))
        )

    async def _watch(self, worker: Worker) -> None:
        code = await worker.group.wait()
        if worker.stopping:
            return  # _stop_worker reports it
        self._workers.pop(worker.version, None)
        detail = "\n".join(worker.group.tail)
        ws = pb.WorkerState(
            version=worker.version, state="exited", exit_code=code, detail=detail, worker_id=worker.worker_id
        )
        self.send(pb.SidecarMessage(agent=pb.AgentEvent(worker=ws)))

    async def _stop(self, rid: str, req: pb.StopVersion, reply: Reply) -> None:
        worker = self._workers.get(req.version)
        code, worker_id = 0, ""
        if worker is not None:
            code, worker_id = await self._stop_worker(worker, req.drain_seconds), worker.worker_id
        if not req.keep_files and SAFE_VERSION.match(req.version):
            shutil.rmtree(self.work / "versions" / req.version, ignore_errors=True)
            (self.work / "versions" / f"{req.version}.digest").unlink(missing_ok=True)
        ws = pb.WorkerState(version=req.version, state="stopped", exit_code=code, worker_id=worker_id)
        reply(pb.SidecarMessage(agent=pb.AgentEvent(request_id=rid, worker=ws)))

    async def _stop_worker(self, worker: Worker, drain: float) -> int:
        worker.stopping = True
        code = await worker.group.stop(drain)
        if worker.watcher is not None:
            await asyncio.gather(worker.watcher, return_exceptions=True)
        self._workers.pop(worker.version, None)
        return code


async def serve_agent(options: Options, work_dir: str) -> int:
    """Run as an agent until SIGTERM/SIGINT; builds and workers stop with it."""
    temp = None if work_dir else tempfile.TemporaryDirectory(prefix="stephost-agent-")
    work = Path(work_dir or temp.name).resolve()  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    hello = build_hello(options, Project(), [])
    hello.agent = True
    hello.capacity = 1
    conn = Connection(options, hello)
    agent = Agent(options, work, conn.send)
    conn.on_agent = agent.command
    log.info("python agent %s: work dir %s, dialling %s", options.sidecar_id, work, options.target)
    try:
        return await serve_until_stopped(conn, agent, "agent")
    finally:
        await agent.drain(options.drain_seconds)
        if temp is not None:
            temp.cleanup()
