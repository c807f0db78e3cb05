"""What the agent pool hands back: build outcomes, worker events, and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stephost_host.errors import HostError
from stephost_wire.v1 import sidecar_pb2 as pb

# A step or stream as the agent's `--check` found it: {"name", "type", "file", "config_json"}
# (streams have no "type"); config_json is the exact text a worker's hello will carry.
Manifest = dict[str, str]


class AgentError(HostError):
    """No agent of the language is connected, or one left (or failed) in the middle of a request."""


class WorkerExited(AgentError):
    """A version's worker process ended before it was ready (or while it served)."""

    def __init__(self, language: str, version: str, exit_code: int, detail: str) -> None:
        tail = f": {detail}" if detail else ""
        super().__init__(f"the {language} worker of version {version} exited with code {exit_code}{tail}")
        self.language = language
        self.version = version
        self.exit_code = exit_code
        self.detail = detail


@dataclass(frozen=True)
class BuildOutcome:
    """One language's build of a version. ``ok`` is False when the build failed or a file did
    not load (``error`` names the file, ``file`` is it); the bundle is there only when ok."""

    ok: bool
    error: str
    file: str
    steps: list[Manifest]
    streams: list[Manifest]
    load_errors: list[dict[str, str]]
    hooks: list[str]
    bundle: bytes
    digest: str
    seconds: float
    agent: str = ""  # the agent (its sidecar id) that built it
    log: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, result: pb.BuildResult, bundle: bytes, agent: str, log: list[str]) -> BuildOutcome:
        return cls(
            ok=result.ok,
            error=result.error,
            file=result.file,
            steps=[
                {"name": s.name, "type": s.type, "file": s.file, "config_json": s.config_json}
                for s in result.steps
            ],
            streams=[{"name": s.name, "file": s.file, "config_json": s.config_json} for s in result.streams],
            load_errors=[{"file": e.file, "message": e.message} for e in result.load_errors],
            hooks=list(result.hooks),
            bundle=bundle,
            digest=result.bundle_digest,
            seconds=result.seconds,
            agent=agent,
            log=log,
        )


@dataclass(frozen=True)
class WorkerEvent:
    """A version's worker changed state on one agent: starting, running, exited, stopped."""

    agent: str
    language: str
    version: str
    state: str
    exit_code: int
    detail: str
    worker_id: str

    def describe(self) -> dict[str, Any]:
        return dict(self.__dict__)
