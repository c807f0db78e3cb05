"""The vocabulary mapping table (deployments_compat/views.py): every record state as Motia, the
phased API and Mist name it, derived from records driven through the pipeline's own methods."""

from __future__ import annotations

import time

import pytest

from stephost_host.deployments.models import Activation, BuildItem, Deployment, Status, UploadItem
from stephost_host.deployments_compat import SURFACES, check_surfaces
from stephost_host.deployments_compat.surfaces import ENDPOINTS, Paths, _shape
from stephost_host.deployments_compat.tokens import DeploymentTokens
from stephost_host.deployments_compat.views import iso, mist, mist_added, mist_status_frame, motia, phased

MOTIA_KEYS = {
    "id",
    "status",
    "phase",
    "progress",
    "message",
    "build",
    "upload",
    "buildLogs",
    "uploadLogs",
    "deployLogs",
    "metadata",
}


def record(*phases: str) -> Deployment:
    r = Deployment(id="d1", number=7, project="shop", commit_hash="abc", commit_message="fix")
    r.started_at = time.time()
    for p in phases:
        r.enter(p)
        if p != phases[-1]:
            r.leave(p)
    return r


# record state -> (Motia status, Motia phase, phased status, Mist status, Mist stage)
TABLE = [
    ((), ("idle", None, "pending", "pending", "")),
    (("orchestrate",), ("building", "build", "in_progress", "building", "cloning_repo")),
    (
        ("orchestrate", "download", "infra", "build"),
        ("building", "build", "in_progress", "building", "building_image"),
    ),
    (
        ("orchestrate", "download", "infra", "build", "package", "upload"),
        ("uploading", "upload", "in_progress", "building", "building_image"),
    ),
    (
        ("orchestrate", "download", "infra", "build", "package", "upload", "migrate", "service_deploy"),
        ("deploying", "deploy", "in_progress", "deploying", "starting_new"),
    ),
    (
        (
            "orchestrate",
            "download",
            "infra",
            "build",
            "package",
            "upload",
            "migrate",
            "service_deploy",
            "cache_invalidation",
        ),
        ("deploying", "deploy", "in_progress", "deploying", "stopping_old"),
    ),
]


@pytest.mark.parametrize(("phases", "expected"), TABLE)
def test_running_states(phases: tuple[str, ...], expected: tuple[object, ...]) -> None:
    r = record(*phases)
    if not phases:
        r.started_at = None
    m, p, mi = motia(r), phased(r, "shop"), mist(r, {})
    assert (m["status"], m["phase"], p["status"], mi["status"], mi["stage"]) == expected
    assert MOTIA_KEYS <= set(m) and "error" not in m and "completedAt" not in m
    assert set(m) - MOTIA_KEYS <= {"startedAt"}


def test_after_the_switch_the_old_version_stops() -> None:
    r = record("orchestrate", "service_deploy")
    assert mist(r, {})["stage"] == "starting_new"
    r.is_active = True
    assert mist(r, {})["stage"] == "stopping_old"


def test_completed() -> None:
    r = record("orchestrate", "download")
    r.build = [
        BuildItem(package_path="steps/a_step.py", language="python", type="api", status="built", size=10)
    ]
    r.upload = [
        UploadItem(
            package_path="bundles/python/x", language="python", status="uploaded", size=99, progress=100
        )
    ]
    r.finish(Status.COMPLETED, "deployed")
    m = motia(r)
    assert (m["status"], m["phase"], m["progress"]) == ("completed", None, 100)
    assert isinstance(m["startedAt"], int) and isinstance(m["completedAt"], int)
    assert m["build"] == [
        {"packagePath": "steps/a_step.py", "language": "python", "status": "built", "type": "api", "size": 10}
    ]
    assert m["upload"] == [
        {
            "packagePath": "steps/a_step.py",
            "language": "python",
            "status": "uploaded",
            "type": "api",
            "progress": 100,
            "size": 99,
        }
    ]
    assert phased(r, "shop")["status"] == "completed"
    phases = {x["name"]: (x["status"], x["skipped"]) for x in phased(r, "shop")["phases"]}
    assert phases["orchestrate"] == ("completed", False) and phases["upload"] == ("pending", True)
    mi = mist(r, {})
    assert (mi["status"], mi["stage"], mi["progress"]) == ("success", "completed", 100)
    assert isinstance(mi["duration"], int) and mi["created_at"].endswith("Z")


def test_failed_says_where_and_why() -> None:
    r = record("orchestrate", "download", "infra", "build")
    r.fail("build", "steps/a_step.py: boom", "steps/a_step.py")
    m, p, mi = motia(r), phased(r, "shop"), mist(r, {})
    assert (m["status"], m["phase"], m["error"]) == ("failed", "build", "steps/a_step.py: boom")
    assert (p["status"], p["error"]) == ("failed", "steps/a_step.py: boom")
    assert {x["name"]: x["status"] for x in p["phases"]}["build"] == "failed"
    assert (mi["status"], mi["stage"], mi["error_message"]) == (
        "failed",
        "building_image",
        "steps/a_step.py: boom",
    )
    assert mist_status_frame(r)["error_message"] == "steps/a_step.py: boom"


def test_cancelled() -> None:
    r = record("orchestrate", "download")
    r.finish(Status.CANCELLED, "cancelled during download")
    m, p, mi = motia(r), phased(r, "shop"), mist(r, {})
    assert (m["status"], m["error"]) == ("failed", "cancelled")
    assert p["status"] == "cancelled"
    phases = {x["name"]: (x["status"], x["skipped"]) for x in p["phases"]}
    assert phases["download"] == ("failed", False) and phases["build"] == ("pending", True)
    assert mi["status"] == "stopped"


def test_rolled_back_only_mist_says_so() -> None:
    r = record("orchestrate")
    r.finish(Status.COMPLETED)
    r.activation, r.rolled_back_from = Activation.ROLLED_BACK, ""
    assert motia(r)["status"] == "completed" and phased(r, "shop")["status"] == "completed"
    assert mist(r, {})["status"] == "rolled_back"
    target = record("orchestrate")
    target.finish(Status.COMPLETED)
    target.is_active, target.rolled_back_from = True, "other"
    assert mist(target, {"other": 9})["rolled_back_from"] == 9 and mist(target, {})["is_active"]


def test_mist_add_answer_has_exactly_its_fields() -> None:
    added = mist_added(record())
    assert set(added) == {
        "id",
        "app_id",
        "commit_hash",
        "commit_message",
        "status",
        "stage",
        "progress",
        "created_at",
    }
    assert (added["id"], added["app_id"], added["status"], added["stage"], added["progress"]) == (
        7,
        1,
        "pending",
        "",
        0,
    )


def test_iso() -> None:
    assert iso(0) == "1970-01-01T00:00:00Z" and iso(None) is None


def test_deployment_tokens() -> None:
    tokens = DeploymentTokens("secret")
    token = tokens.make("d1")
    assert tokens.valid(token, "d1") and not tokens.valid(token, "d2")
    assert not DeploymentTokens("other").valid(token, "d1")
    assert tokens.deployment(token.replace("d1.", "d2.", 1)) is None  # the id is signed
    assert (
        DeploymentTokens("secret", ttl=-1).deployment(DeploymentTokens("secret", ttl=-1).make("d1")) is None
    )
    assert tokens.deployment("garbage") is None


def test_surfaces_setting_and_paths() -> None:
    assert check_surfaces(["mist", " motia", "mist"]) == ("mist", "motia")
    with pytest.raises(ValueError, match="unknown API 'heroku'"):
        check_surfaces(["heroku"])
    assert _shape("/api/deploys/:id/cancel") == _shape(ENDPOINTS["phased"][3][1])


def test_paths_are_exactly_the_endpoints_and_a_project_route_shadows_one() -> None:
    phased_only = Paths(["phased"])
    assert "/api/deploys/abc/cancel" in phased_only
    assert "/api/deploy" in phased_only and "/api/deploys" in phased_only
    assert "/api/deployment/add" not in phased_only  # Mist's, off here
    assert "/api/deploys/abc/cancel/more" not in phased_only
    # Any method on the same path takes it; the endpoints below it stay on.
    shadowed = Paths(SURFACES).shadowed([("DELETE", "/api/deploys/:deploy"), ("POST", "/orders")])
    assert shadowed == ["GET /api/deploys/{id} (phased)"]
