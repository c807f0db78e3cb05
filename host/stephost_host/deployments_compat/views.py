"""Each compatible API's vocabulary, derived from the one deployment record.

Nothing here is stored: Motia's ``DeploymentData``, the phased API's deployment and Mist's
deployment are functions of ``deployments.models.Deployment`` (docs/deployment-apis.md has
the table). Every status rule of a compatible API lives here, once.

| record                 | Motia                | phased      | Mist                          |
|------------------------|----------------------|-------------|-------------------------------|
| pending                | idle, phase null     | pending     | pending, stage ""             |
| building               | building, build      | in_progress | building, cloning_repo /      |
|                        |                      |             | building_image                |
| uploading              | uploading, upload    | in_progress | building, building_image      |
| deploying              | deploying, deploy    | in_progress | deploying, starting_new /     |
|                        |                      |             | stopping_old                  |
| completed              | completed, 100       | completed   | success, completed            |
| failed                 | failed + error       | failed      | failed + error_message        |
| cancelled              | failed, "cancelled"  | cancelled   | stopped                       |
| activation rolled_back | (unchanged)          | (unchanged) | rolled_back                   |
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stephost_host.deployments.models import (
    PHASES,
    Activation,
    Deployment,
    PhaseStatus,
    Status,
)

# -- shared -----------------------------------------------------------------------------

# The record's running statuses and the band (build / upload / deploy) each belongs to.
BAND = {Status.BUILDING: "build", Status.UPLOADING: "upload", Status.DEPLOYING: "deploy"}
CANCELLED_ERROR = "cancelled"


def band_of(record: Deployment) -> str | None:
    """build / upload / deploy: where the record is (or where it stopped); None before it
    started and once it completed."""
    if record.status in (Status.PENDING, Status.COMPLETED):
        return None
    phase = record.error_phase or record.phase
    if phase in PHASES:
        return BAND[PHASES[phase][0]]
    return BAND.get(record.status)


def iso(seconds: float | None) -> str | None:
    """Unix seconds as ISO 8601 in UTC with a Z (what Mist and the phased API show)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def unix(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds)


# -- Motia: DeploymentData ----------------------------------------------------------------

MOTIA_STATUS = {
    Status.PENDING: "idle",
    Status.BUILDING: "building",
    Status.UPLOADING: "uploading",
    Status.DEPLOYING: "deploying",
    Status.COMPLETED: "completed",
    Status.FAILED: "failed",
    Status.CANCELLED: "failed",  # Motia has no cancelled: failed with error "cancelled"
}


def _optional(out: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Motia's optional fields are absent, not null, when there is nothing to say."""
    out.update({k: v for k, v in fields.items() if v not in (None, "")})
    return out


def motia(record: Deployment) -> dict[str, Any]:
    """Motia's ``DeploymentData``: exactly its documented fields."""
    types = {b.package_path: b.type for b in record.build}
    build = [
        _optional(
            {
                "packagePath": b.package_path,
                "language": b.language,
                "status": b.status,
                "type": b.type,
            },
            size=b.size or None,
            errorMessage=b.error_message,
        )
        for b in record.build
    ]
    # Motia tracks uploads per step; ours are one bundle per language, so each step shows its
    # language bundle's upload.
    uploads = {u.language: u for u in record.upload}
    upload = [
        _optional(
            {
                "packagePath": path,
                "language": b.language,
                "status": uploads[b.language].status,
                "type": types[path],
                "progress": uploads[b.language].progress,
            },
            size=uploads[b.language].size or None,
        )
        for b in record.build
        if (path := b.package_path) and b.language in uploads
    ]
    error = record.error or (CANCELLED_ERROR if record.status is Status.CANCELLED else "")
    return _optional(
        {
            "id": record.id,
            "status": MOTIA_STATUS[record.status],
            "phase": band_of(record),
            "progress": record.progress,
            "message": record.message,
            "build": build,
            "upload": upload,
            "buildLogs": list(record.build_logs),
            "uploadLogs": list(record.upload_logs),
            "deployLogs": list(record.deploy_logs),
            "metadata": {
                "totalSteps": record.metadata.total_steps,
                "completedSteps": record.metadata.completed_steps,
                "environment": record.metadata.environment,
            },
        },
        error=error,
        startedAt=unix(record.started_at),
        completedAt=unix(record.completed_at),
    )


# -- the phased deploys API (seed 001) ------------------------------------------------------

PHASED_STATUS = {
    Status.PENDING: "pending",
    Status.BUILDING: "in_progress",
    Status.UPLOADING: "in_progress",
    Status.DEPLOYING: "in_progress",
    Status.COMPLETED: "completed",
    Status.FAILED: "failed",
    Status.CANCELLED: "cancelled",
}
PHASED_STATUSES = tuple(dict.fromkeys(PHASED_STATUS.values()))


def phased_phase_status(status: PhaseStatus, started: bool) -> tuple[str, bool]:
    """(status in pending|in_progress|completed|failed, skipped): a phase that never ran (not
    needed, or after a failure or cancel) stays pending and says it was skipped; the phase a
    cancel stopped counts as failed (the deployment says cancelled)."""
    if status is PhaseStatus.SKIPPED or (status is PhaseStatus.CANCELLED and not started):
        return "pending", True
    if status is PhaseStatus.CANCELLED:
        return "failed", False
    return status.value, False


def phased(record: Deployment, app_id: str) -> dict[str, Any]:
    phases = []
    for p in record.phases:
        status, skipped = phased_phase_status(p.status, p.started_at is not None)
        phases.append(
            {
                "name": p.name,
                "status": status,
                "skipped": skipped,
                "startedAt": iso(p.started_at),
                "completedAt": iso(p.completed_at),
                "logs": list(p.logs_tail),
            }
        )
    error = record.error or (CANCELLED_ERROR if record.status is Status.CANCELLED else "")
    return {
        "id": record.id,
        "number": record.number,
        "productionAppId": app_id,
        "versionId": record.version_id or None,
        "versionName": record.version_name,
        "kind": record.kind.value,
        "status": PHASED_STATUS[record.status],
        "currentPhase": record.phase or None,
        "progress": record.progress,
        "message": record.message,
        "error": error or None,
        "isActive": record.is_active,
        "phases": phases,
        "createdAt": iso(record.created_at),
        "startedAt": iso(record.started_at),
        "completedAt": iso(record.completed_at),
        "updatedAt": iso(record.updated_at),
    }


# -- Mist ----------------------------------------------------------------------------------

MIST_STATUS = {
    Status.PENDING: "pending",
    Status.BUILDING: "building",
    Status.UPLOADING: "building",
    Status.DEPLOYING: "deploying",
    Status.COMPLETED: "success",
    Status.FAILED: "failed",
    Status.CANCELLED: "stopped",
}
# Record phase -> Mist stage. Mist documents stopping_old before starting_new; we start the
# new version first (no gap), so starting_new comes first and stopping_old follows the switch.
MIST_STAGE = {
    "orchestrate": "cloning_repo",
    "download": "cloning_repo",
    "infra": "building_image",
    "build": "building_image",
    "package": "building_image",
    "upload": "building_image",
    "migrate": "starting_new",
    "service_deploy": "starting_new",
    "cache_invalidation": "stopping_old",
}


def mist_status(record: Deployment) -> str:
    if record.activation is Activation.ROLLED_BACK:
        return "rolled_back"
    return MIST_STATUS[record.status]


def mist_stage(record: Deployment) -> str:
    if record.status is Status.COMPLETED:
        return "completed"
    phase = record.error_phase or record.phase
    if phase == "service_deploy" and record.is_active:
        return "stopping_old"  # switched: the old version drains
    return MIST_STAGE.get(phase, "")


def mist(record: Deployment, numbers: dict[str, int]) -> dict[str, Any]:
    """A Mist deployment; ``numbers`` maps deployment ids to numbers (rolled_back_from)."""
    rolled_from = numbers.get(record.rolled_back_from) if record.rolled_back_from else None
    return {
        "id": record.number,
        "app_id": MIST_APP_ID,
        "deployment_number": record.number,
        "commit_hash": record.commit_hash,
        "commit_message": record.commit_message or record.description,
        "status": mist_status(record),
        "stage": mist_stage(record),
        "progress": record.progress,
        "duration": None if record.duration is None else round(record.duration),
        "is_active": record.is_active,
        "rolled_back_from": rolled_from,
        "error_message": record.error,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }


MIST_ADDED = ("id", "app_id", "commit_hash", "commit_message", "status", "stage", "progress", "created_at")


def mist_added(record: Deployment) -> dict[str, Any]:
    """What ``POST /api/deployment/add`` answers: the fields Mist documents for it."""
    full = mist(record, {})
    return {k: full[k] for k in MIST_ADDED}


def mist_status_frame(record: Deployment) -> dict[str, Any]:
    """The ``data`` of a Mist WebSocket ``status`` frame."""
    return {
        "deployment_id": record.number,
        "status": mist_status(record),
        "stage": mist_stage(record),
        "progress": record.progress,
        "message": record.message,
        "error_message": record.error or (CANCELLED_ERROR if record.status is Status.CANCELLED else ""),
    }


# Mist numbers its apps; a host cluster holds one project, so it is app 1.
MIST_APP_ID = 1
