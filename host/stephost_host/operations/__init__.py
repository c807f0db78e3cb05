"""The host's operations: emit, state and streams, implemented once.

Every door onto the host (the sidecar link a handler's ctx talks over, the public gRPC
ingress, later the admin HTTP API) turns its requests into these calls and their
typed refusals (``errors``) into its own error answers; the rules (``rules``) and
message ids (``ids``) live here, not in the doors.
"""

from __future__ import annotations

from stephost_host.operations import ids
from stephost_host.operations.emit import Emits, Event, Receipt
from stephost_host.operations.errors import (
    AlreadyExists,
    BatchProgress,
    InvalidArgument,
    NotFound,
    OperationError,
    PermissionDenied,
    StateConflict,
    StoreProblem,
    Unauthenticated,
    Unavailable,
    no_problem,
)
from stephost_host.operations.rules import Fields, Limit, nats_limit
from stephost_host.operations.state import StateOps
from stephost_host.operations.streams import StreamOps
from stephost_host.queue.publisher import Publisher
from stephost_host.router.registry import Registry
from stephost_host.state.store import StateStore
from stephost_host.streams.auth import StreamAuth
from stephost_host.streams.store import Streams


class Operations:
    """One of each operation, sharing the NATS server's payload limit."""

    def __init__(
        self,
        registry: Registry,
        publisher: Publisher,
        state: StateStore,
        streams: Streams,
        stream_auth: StreamAuth,
        max_payload: int,
        problem: StoreProblem = no_problem,
    ) -> None:
        self.max_payload = max_payload  # the NATS server's, for doors with a limit of their own
        self.limit = nats_limit(max_payload)
        self.registry = registry
        # ``problem`` says why the store cannot keep writes now: every write asks it first.
        self.emits = Emits(publisher, registry, self.limit, problem)
        self.state = StateOps(state, self.limit, problem)
        self.streams = StreamOps(streams, stream_auth, self.limit, problem)


__all__ = [
    "AlreadyExists",
    "BatchProgress",
    "Emits",
    "Event",
    "Fields",
    "InvalidArgument",
    "Limit",
    "NotFound",
    "OperationError",
    "Operations",
    "PermissionDenied",
    "Receipt",
    "StateConflict",
    "StateOps",
    "StoreProblem",
    "StreamOps",
    "Unauthenticated",
    "Unavailable",
    "ids",
    "no_problem",
]
