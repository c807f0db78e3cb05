"""The deployment record: one attempt to build a version of the project and make it active.

Kept in NATS KV (``records.py``) as JSON in camelCase, the shape the HTTP API, the gRPC
``Deploy`` service and the compatible APIs (Motia, the phased deploys API, Mist) are views
of; nothing is stored twice. Progress moves in bands (build 0-33, upload 34-66, deploy
67-99, done 100) whatever the phase durations, so every view shows the same number.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_camel

# How many log lines the record keeps per phase and per kind; the full log is a stream.
LOG_TAIL = 50


class Status(StrEnum):
    PENDING = "pending"
    BUILDING = "building"
    UPLOADING = "uploading"
    DEPLOYING = "deploying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})


class PhaseStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class Activation(StrEnum):
    """Where the version stands, apart from how its pipeline ended."""

    NONE = ""  # never reached the switch (pending, running, failed or cancelled before it)
    STAGED = "staged"  # built and warm, not active (--no-promote)
    ACTIVE = "active"
    DRAINING = "draining"  # replaced; its workers finish what they started
    RETIRED = "retired"
    ROLLED_BACK = "rolled_back"  # replaced by a rollback to an earlier deployment


class Kind(StrEnum):
    DEPLOY = "deploy"
    ROLLBACK = "rollback"  # re-activates an earlier deployment's version (rollbackOf)
    PROMOTE = "promote"  # activates a staged (--no-promote) deployment's version (rollbackOf)


# Phase name -> (status while it runs, progress band it moves in).
PHASES: dict[str, tuple[Status, tuple[int, int]]] = {
    "orchestrate": (Status.BUILDING, (0, 2)),
    "download": (Status.BUILDING, (2, 4)),
    "infra": (Status.BUILDING, (4, 6)),
    "build": (Status.BUILDING, (6, 30)),
    "package": (Status.BUILDING, (30, 33)),
    "upload": (Status.UPLOADING, (34, 66)),
    "migrate": (Status.DEPLOYING, (67, 68)),
    "service_deploy": (Status.DEPLOYING, (68, 95)),
    "cache_invalidation": (Status.DEPLOYING, (95, 99)),
}
# Which of the record's log kinds a phase's lines go to (Motia's buildLogs/uploadLogs/deployLogs).
LOG_KIND = {Status.BUILDING: "build", Status.UPLOADING: "upload", Status.DEPLOYING: "deploy"}


def now() -> float:
    return round(time.time(), 3)


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, use_enum_values=False)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class Phase(Model):
    name: str
    status: PhaseStatus = PhaseStatus.PENDING
    started_at: float | None = None
    completed_at: float | None = None
    logs_tail: list[str] = Field(default_factory=list)


class BuildItem(Model):
    """One step file of the version, as its language's build saw it."""

    package_path: str
    language: str
    type: str
    name: str = ""
    status: str = "building"  # building | built | error
    size: int = 0
    error_message: str = ""


class UploadItem(Model):
    """One language bundle going to the object store."""

    package_path: str  # bundles/<language>/<digest>
    language: str
    status: str = "uploading"  # uploading | uploaded | error
    size: int = 0
    progress: int = 0
    reused: bool = False  # the store held this digest already: nothing was sent


class Bundle(Model):
    language: str
    digest: str
    size: int


class Metadata(Model):
    total_steps: int = 0
    completed_steps: int = 0
    environment: str = "production"


class Deployment(Model):
    id: str
    number: int
    project: str
    kind: Kind = Kind.DEPLOY
    environment: str = "production"
    version_id: str = ""  # the source digest's short form once the source is known
    version_name: str = ""
    description: str = ""
    source_digest: str = ""
    source_size: int = 0
    commit_hash: str = ""
    commit_message: str = ""
    status: Status = Status.PENDING
    phase: str = ""
    phases: list[Phase] = Field(default_factory=lambda: [Phase(name=n) for n in PHASES])
    progress: int = 0
    message: str = ""
    error: str = ""
    error_phase: str = ""
    error_file: str = ""
    build: list[BuildItem] = Field(default_factory=list)
    upload: list[UploadItem] = Field(default_factory=list)
    bundles: list[Bundle] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    build_logs: list[str] = Field(default_factory=list)
    upload_logs: list[str] = Field(default_factory=list)
    deploy_logs: list[str] = Field(default_factory=list)
    plan: dict[str, Any] = Field(default_factory=dict)
    metadata: Metadata = Field(default_factory=Metadata)
    env_keys: list[str] = Field(default_factory=list)  # values live in the env bucket, never shown
    promote: bool = True
    dry_run: bool = False
    rollback_of: str = ""  # for a rollback: the deployment whose version it re-activates
    rolled_back_from: str = ""  # the deployment that was active when this one was rolled back to
    activation: Activation = Activation.NONE
    is_active: bool = False
    replaced_at: float | None = None  # when another deployment last replaced it (keep-warm timer)
    bundles_collected: bool = False  # its bundles were deleted (deploy_keep_versions): no rollback
    cancel_requested: bool = False
    runner: str = ""  # the host running the pipeline
    created_at: float = Field(default_factory=now)
    started_at: float | None = None
    completed_at: float | None = None
    updated_at: float = Field(default_factory=now)
    duration: float | None = None
    # The KV revision this copy was read or written at (compare-and-set); never serialised.
    _revision: int = PrivateAttr(default=0)
    _saved_at: float = PrivateAttr(default=0.0)  # monotonic time of the last write (log throttling)

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def phase_of(self, name: str) -> Phase:
        return next(p for p in self.phases if p.name == name)

    def log(self, phase: str, line: str) -> None:
        """A log line of this phase, into its tail and its kind's tail."""
        p = self.phase_of(phase)
        p.logs_tail = [*p.logs_tail, line][-LOG_TAIL:]
        kind = LOG_KIND[PHASES[phase][0]]
        tail = getattr(self, f"{kind}_logs")
        setattr(self, f"{kind}_logs", [*tail, line][-LOG_TAIL:])

    def enter(self, phase: str) -> None:
        p = self.phase_of(phase)
        p.status, p.started_at = PhaseStatus.IN_PROGRESS, now()
        self.phase = phase
        self.status, (low, _) = PHASES[phase]
        self.progress = max(self.progress, low)

    def leave(self, phase: str, status: PhaseStatus = PhaseStatus.COMPLETED) -> None:
        p = self.phase_of(phase)
        p.status, p.completed_at = status, now()
        if status in (PhaseStatus.COMPLETED, PhaseStatus.SKIPPED):
            self.progress = max(self.progress, PHASES[phase][1][1])

    def advance(self, phase: str, fraction: float) -> None:
        """Progress inside a phase's band (0..1 of the way through it)."""
        low, high = PHASES[phase][1]
        self.progress = max(self.progress, min(high, low + round((high - low) * fraction)))

    def finish(self, status: Status, message: str = "") -> None:
        self.status = status
        self.completed_at = now()
        self.duration = round(self.completed_at - (self.started_at or self.created_at), 3)
        if message:
            self.message = message
        if status is Status.COMPLETED:
            self.progress = 100
            self.phase = ""
        for p in self.phases:  # what never ran says so
            if p.status is PhaseStatus.PENDING:
                p.status = PhaseStatus.CANCELLED if status is Status.CANCELLED else PhaseStatus.SKIPPED
            elif p.status is PhaseStatus.IN_PROGRESS:
                p.status = PhaseStatus.FAILED if status is Status.FAILED else PhaseStatus.CANCELLED
                p.completed_at = self.completed_at

    def fail(self, phase: str, error: str, file: str = "") -> None:
        self.error, self.error_phase, self.error_file = error, phase, file
        self.log(phase, f"error: {error}")
        self.finish(Status.FAILED, f"{phase} failed: {error}")

    def seen_under(self, active_id: str) -> Deployment:
        """Activation as the pointer says (``active_id``: the deployment it names). The pointer
        is the one truth and changes in one write, while the stored marks of the two records a
        switch touches are written one after the other: a reader that trusts the pointer
        sees exactly one active deployment at every instant."""
        self.is_active = bool(active_id) and self.id == active_id
        if self.is_active:
            self.activation = Activation.ACTIVE
        elif self.activation is Activation.ACTIVE:
            self.activation = Activation.DRAINING  # just replaced: the switch marks it in a moment
        return self

    def public(self) -> dict[str, Any]:
        """What every API shows (env values are never in the record at all)."""
        return self.dump()
