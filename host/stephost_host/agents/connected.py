"""One connected agent: the commands in flight on its stream and where its events go.

Every command gets a request id and a queue; the agent's events that echo the id land in
that queue, in order. Worker state changes also go to the pool (``on_worker``) whether a
command caused them or not, and a worker's output lines go to the host log. When the
agent's stream ends every queue receives an ``AgentError``, so no request waits forever.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from stephost_host.agents.models import AgentError
from stephost_wire import bundle
from stephost_wire.v1 import sidecar_pb2 as pb

if TYPE_CHECKING:
    from stephost_host.link.session import Session

log = logging.getLogger("stephost.agent")
_ids = itertools.count(1)
_PREFIX = uuid.uuid4().hex[:8]
TAIL = 10  # a worker's last output lines kept per version (they explain one that never got ready)

Answer = pb.AgentEvent | AgentError


class ConnectedAgent:
    def __init__(self, session: Session, on_worker: Callable[[ConnectedAgent, pb.WorkerState], None]) -> None:
        self.session = session
        self.id = session.sidecar_id
        self.language = session.language
        self.building = 0  # builds running there now (the pool picks the least busy)
        self._requests: dict[str, asyncio.Queue[Answer]] = {}
        self.worker_output: dict[str, deque[str]] = {}  # version -> its worker's last lines here
        self._on_worker = on_worker
        session.on_agent = self.receive

    def __repr__(self) -> str:
        return f"<agent {self.language} {self.id}>"

    def open(self) -> tuple[str, asyncio.Queue[Answer]]:
        """A new request id and the queue its answers arrive in."""
        request_id = f"{_PREFIX}-{next(_ids)}"
        queue: asyncio.Queue[Answer] = asyncio.Queue()
        self._requests[request_id] = queue
        if self.session.closed:
            queue.put_nowait(self._gone())
        return request_id, queue

    def done(self, request_id: str) -> None:
        self._requests.pop(request_id, None)

    def send(self, command: pb.AgentCommand) -> None:
        self.session.send(pb.HostMessage(agent=command))

    def send_bundle(self, request_id: str, data: bytes) -> None:
        for chunk in bundle.chunks(data):
            self.send(pb.AgentCommand(request_id=request_id, chunk=chunk))

    def receive(self, event: pb.AgentEvent) -> None:
        kind = event.WhichOneof("ev")
        if kind == "worker":
            self._on_worker(self, event.worker)
        elif kind == "log" and not event.request_id:
            self.worker_output.setdefault(event.log.version, deque(maxlen=TAIL)).append(event.log.line)
            log.info(
                "%s worker %s: %s",
                self.language,
                event.log.version,
                event.log.line,
                extra={"language": self.language, "version": event.log.version, "agent": self.id},
            )
        queue = self._requests.get(event.request_id) if event.request_id else None
        if queue is not None:
            queue.put_nowait(event)

    def lost(self) -> None:
        """The stream ended: every request still waiting fails, naming this agent."""
        for queue in self._requests.values():
            queue.put_nowait(self._gone())
        self._requests.clear()

    def _gone(self) -> AgentError:
        return AgentError(f"the {self.language} agent {self.id} disconnected")
