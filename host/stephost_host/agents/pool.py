"""The host's agents, by language: build a version on one, start and stop it on every one.

One pool per host, built in the composition root and handed to the link server, which
calls ``join``/``leave`` as agents connect and go. The deployment pipeline drives it:
``build`` (on the least busy agent of the language), ``start`` and ``stop`` (on every
agent of the language), ``watch`` (worker state changes, for readiness and aborts).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from stephost_host.agents.connected import Answer, ConnectedAgent
from stephost_host.agents.models import AgentError, BuildOutcome, WorkerEvent, WorkerExited
from stephost_wire import bundle
from stephost_wire.v1 import sidecar_pb2 as pb

if TYPE_CHECKING:
    from stephost_host.link.session import Session

log = logging.getLogger("stephost.agent")
T = TypeVar("T")
# Beyond the build's own deadline (which the agent enforces), how long the host waits for the
# agent's answer before it cancels the build itself.
BUILD_GRACE = 60.0
# How long a cancelled build's agent gets to confirm that its process group is gone.
CANCEL_WAIT = 30.0
# Unpacking a bundle and spawning a worker; stopping waits this beyond the drain.
START_TIMEOUT = 120.0
STOP_GRACE = 30.0
LOG_KEPT = 2000  # build output lines kept in the outcome (all of them go to on_log)


class AgentPool:
    def __init__(self) -> None:
        self._agents: dict[Session, ConnectedAgent] = {}
        self._watchers: list[Callable[[WorkerEvent], None]] = []
        self._workers: dict[tuple[str, str], WorkerEvent] = {}  # (agent, version) -> latest

    # -- the link's side -----------------------------------------------------

    def join(self, session: Session) -> ConnectedAgent:
        agent = ConnectedAgent(session, self._worker_changed)
        self._agents[session] = agent
        return agent

    def leave(self, session: Session) -> None:
        agent = self._agents.pop(session, None)
        if agent is not None:
            agent.lost()
            for key in [k for k in self._workers if k[0] == agent.id]:
                del self._workers[key]

    # -- reading -------------------------------------------------------------

    def languages(self) -> set[str]:
        return {a.language for a in self._agents.values()}

    def count(self, language: str) -> int:
        return len(self._of(language))

    def workers(self, version: str | None = None) -> list[WorkerEvent]:
        """The latest state of every worker this host's agents reported (of one version)."""
        return [w for w in self._workers.values() if version is None or w.version == version]

    def why_not_ready(self, version: str, language: str) -> str:
        """What this host's agents of ``language`` last said about ``version``'s worker: its
        state, exit code and last output lines (an explanation for a worker that never said hello)."""
        said = []
        for agent in self._of(language):
            event = self._workers.get((agent.id, version))
            state = "no worker state reported" if event is None else f"worker {event.state}"
            if event is not None and event.state == "exited":
                state += f" with code {event.exit_code}"
            lines = list(agent.worker_output.get(version, ()))
            output = "; last output: " + " | ".join(lines) if lines else "; no output"
            said.append(f"agent {agent.id}: {state}{output}")
        return "; ".join(said) or f"no {language} agent is connected"

    def watch(self, callback: Callable[[WorkerEvent], None]) -> Callable[[], None]:
        """Call ``callback`` at every worker state change; returns the unsubscribe function."""
        self._watchers.append(callback)

        def unsubscribe() -> None:
            if callback in self._watchers:
                self._watchers.remove(callback)

        return unsubscribe

    def _of(self, language: str) -> list[ConnectedAgent]:
        return [a for a in self._agents.values() if a.language == language and not a.session.closed]

    def _some(self, language: str) -> list[ConnectedAgent]:
        agents = self._of(language)
        if not agents:
            have = ", ".join(sorted(self.languages())) or "none"
            raise AgentError(f"no {language} agent is connected to this host (agents connected: {have})")
        return agents

    def _worker_changed(self, agent: ConnectedAgent, state: pb.WorkerState) -> None:
        event = WorkerEvent(
            agent=agent.id,
            language=agent.language,
            version=state.version,
            state=state.state,
            exit_code=state.exit_code,
            detail=state.detail,
            worker_id=state.worker_id,
        )
        self._workers[(agent.id, state.version)] = event
        who = f"{event.language} worker of version {event.version} on agent {event.agent}"
        if event.state == "exited":
            log.warning("%s exited with code %d: %s", who, event.exit_code, event.detail)
        else:
            log.info("%s: %s", who, event.state)
        for callback in list(self._watchers):
            try:
                callback(event)
            except Exception:
                log.exception("a worker state watcher failed")

    # -- build ---------------------------------------------------------------

    async def build(
        self,
        language: str,
        version: str,
        source: bytes,
        env: dict[str, str],
        *,
        on_log: Callable[[str], None] | None = None,
        timeout: float = 600,
    ) -> BuildOutcome:
        """Build ``source`` (a tar.gz of the project) for ``language`` on one agent.

        Cancelling the awaiting task cancels the build: the agent kills its process group,
        and this returns (re-raising the cancellation) once the agent says it is gone."""
        agent = min(self._some(language), key=lambda a: a.building)
        request_id, answers = agent.open()
        agent.building += 1
        started = time.monotonic()
        try:
            agent.send_bundle(request_id, source)
            agent.send(
                pb.AgentCommand(
                    request_id=request_id,
                    build=pb.BuildRequest(version=version, env=env, timeout_seconds=max(1, round(timeout))),
                )
            )
            try:
                return await asyncio.wait_for(_build_answer(agent, answers, on_log), timeout + BUILD_GRACE)
            except TimeoutError:
                await _cancel(agent, request_id, answers)
                raise AgentError(
                    f"the {language} agent {agent.id} did not finish building version {version} "
                    f"within {timeout + BUILD_GRACE:.0f}s"
                ) from None
            except asyncio.CancelledError:
                await _cancel(agent, request_id, answers)
                raise
        finally:
            agent.building -= 1
            agent.done(request_id)
            log.debug("build of %s on %s took %.1fs", version, agent.id, time.monotonic() - started)

    # -- start / stop --------------------------------------------------------

    async def start(
        self, language: str, version: str, bundle: bytes, digest: str, env: dict[str, str]
    ) -> list[str]:
        """Run ``version`` on every agent of the language; the worker ids, once each is running.
        Raises WorkerExited when a worker exits first, AgentError when an agent fails or leaves."""
        agents = self._some(language)
        return await _all([self._start_one(a, version, bundle, digest, env) for a in agents])

    async def _start_one(
        self, agent: ConnectedAgent, version: str, data: bytes, digest: str, env: dict[str, str]
    ) -> str:
        request_id, answers = agent.open()
        try:
            agent.send_bundle(request_id, data)
            agent.send(
                pb.AgentCommand(
                    request_id=request_id,
                    start=pb.StartVersion(version=version, bundle_digest=digest, env=env),
                )
            )
            async with asyncio.timeout(START_TIMEOUT):
                while True:
                    worker = _worker_state(await answers.get())
                    if worker.state == "running":
                        return worker.worker_id
                    if worker.state in ("exited", "stopped"):
                        raise WorkerExited(agent.language, version, worker.exit_code, worker.detail)
        except TimeoutError:
            raise AgentError(
                f"the {agent.language} agent {agent.id} did not start version {version} "
                f"within {START_TIMEOUT:.0f}s"
            ) from None
        finally:
            agent.done(request_id)

    async def stop(
        self, language: str, version: str, drain_seconds: float = 10, keep_files: bool = False
    ) -> None:
        """Stop ``version``'s worker on every agent of the language (drain, then kill)."""
        agents = self._of(language)  # none left: nothing runs there to stop
        await _all([self._stop_one(a, version, drain_seconds, keep_files) for a in agents])

    async def _stop_one(self, agent: ConnectedAgent, version: str, drain: float, keep_files: bool) -> None:
        request_id, answers = agent.open()
        try:
            stop = pb.StopVersion(version=version, drain_seconds=drain, keep_files=keep_files)
            agent.send(pb.AgentCommand(request_id=request_id, stop=stop))
            async with asyncio.timeout(drain + STOP_GRACE):
                while _worker_state(await answers.get()).state != "stopped":
                    pass
            agent.worker_output.pop(version, None)
        except TimeoutError:
            raise AgentError(
                f"the {agent.language} agent {agent.id} did not stop version {version} "
                f"within {drain + STOP_GRACE:.0f}s"
            ) from None
        finally:
            agent.done(request_id)


async def _all(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run them together; the first failure is raised as itself and the others are cancelled."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()


async def _build_answer(
    agent: ConnectedAgent, answers: asyncio.Queue[Answer], on_log: Callable[[str], None] | None
) -> BuildOutcome:
    """Read a build's events until its result: output lines, then the built bundle's chunks."""
    lines: deque[str] = deque(maxlen=LOG_KEPT)
    built = bundle.Assembly()
    data = b""
    while True:
        event = await answers.get()
        if isinstance(event, AgentError):
            raise event
        kind = event.WhichOneof("ev")
        if kind == "log":
            lines.append(event.log.line)
            if on_log is not None:
                on_log(event.log.line)
        elif kind == "chunk":
            try:
                data = built.add(event.chunk) or data
            except bundle.BundleError as exc:
                raise AgentError(f"the {agent.language} agent {agent.id} sent a bad bundle: {exc}") from None
        elif kind == "build_result":
            result = event.build_result
            if result.ok and bundle.digest(data) != result.bundle_digest:
                raise AgentError(f"the {agent.language} agent {agent.id} reported a bundle it did not send")
            return BuildOutcome.of(result, data if result.ok else b"", agent.id, list(lines))


async def _cancel(agent: ConnectedAgent, request_id: str, answers: asyncio.Queue[Answer]) -> None:
    """Stop a running build and wait (bounded) for the agent's word that its processes are gone."""
    agent.send(pb.AgentCommand(request_id=request_id, cancel=pb.CancelRequest(target_request_id=request_id)))
    try:
        async with asyncio.timeout(CANCEL_WAIT):
            while True:
                event = await answers.get()
                if isinstance(event, AgentError) or event.WhichOneof("ev") == "build_result":
                    return
    except TimeoutError:
        log.warning("%r did not confirm the cancelled build %s within %.0fs", agent, request_id, CANCEL_WAIT)


def _worker_state(answer: Answer) -> pb.WorkerState:
    if isinstance(answer, AgentError):
        raise answer
    return answer.worker if answer.WhichOneof("ev") == "worker" else pb.WorkerState()
