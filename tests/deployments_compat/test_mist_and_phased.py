"""Mist's API and the phased deploys API on one real host and agents of every language, each
deploying a mixed Python/TypeScript/Ruby project in turn (and a staged deploy promoted):
Mist add (the project folder, v1, then v2) watched live over Mist's WebSocket with a plain
client; a phased deploy of an earlier versionId; rollbacks through both; a deploy held at a
test pause point stopped through Mist while a queued one is cancelled through the phased API;
then the history through both (filters, pagination, total), the logs, auth and bad bodies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from stephost_host.deployments_compat.views import MIST_ADDED
from tests.deployments.conftest import PROJECTS, Fleet
from tests.deployments_compat.conftest import APP, client
from tests.harness import eventually

MIST_ORDER = ["pending", "building", "deploying", "success"]
STAGE_ORDER = ["", "cloning_repo", "building_image", "starting_new", "stopping_old", "completed"]
MIST_FIELDS = {
    "id": int,
    "app_id": int,
    "deployment_number": int,
    "commit_hash": str,
    "commit_message": str,
    "status": str,
    "stage": str,
    "progress": int,
    "is_active": bool,
    "created_at": str,
    "updated_at": str,
}


@pytest.fixture
def compat_env() -> dict[str, str]:
    return {"STEPHOST_TEST_DEPLOY_PAUSE": "build@6"}


def socket(fleet: Fleet, number: int | str, token: str | None = "") -> ClientConnection:
    url = fleet.host.url.replace("http://", "ws://") + f"/ws/deployment/logs?deploymentId={number}"
    return connect(
        url + (f"&token={token or fleet.host.secret}" if token is not None else ""), open_timeout=30
    )


def frames(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every frame until the host closes the socket."""
    out = []
    try:
        while True:
            out.append(json.loads(ws.recv(timeout=300)))
    except ConnectionClosed:
        return out


def distinct(values: list[str]) -> list[str]:
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


def hello(fleet: Fleet) -> int:
    return int(httpx.get(fleet.host.url + "/hello", timeout=30).json()["v"])


def test_mist_and_phased(shop: Fleet) -> None:
    api, reader, anonymous = client(shop), client(shop, "reader-token"), client(shop, None)

    # Refusals first: nothing is created by any of them.
    assert anonymous.post("/api/deployment/add", json={"appId": 1}).status_code == 401
    assert reader.post("/api/deployment/add", json={"appId": 1}).status_code == 403
    not_int = api.post("/api/deployment/add", json={"appId": "1"})
    assert not_int.status_code == 400 and "appId" in not_int.json()["message"]
    assert api.post("/api/deployment/add", json={"appId": 2}).status_code == 404
    assert anonymous.get("/api/deploys").status_code == 401
    assert reader.post("/api/deploy", json={"productionAppId": APP}).status_code == 403
    no_app = api.post("/api/deploy", json={})
    assert no_app.status_code == 400 and "productionAppId" in no_app.json()["error"]
    assert api.post("/api/deploy", json={"productionAppId": "elsewhere"}).status_code == 404
    assert api.post("/api/deploy", json={"productionAppId": APP}).status_code == 404  # nothing active yet
    with pytest.raises(InvalidStatus) as refused:
        socket(shop, 1, token=None)
    assert refused.value.response.status_code == 401
    assert reader.get("/api/deploys").json()["total"] == 0

    # 1: Mist add deploys the project folder; its WebSocket shows it live, then closes.
    added = api.post("/api/deployment/add", json={"appId": 1})
    assert added.status_code == 200, added.text
    one = added.json()
    assert set(one) == set(MIST_ADDED)
    assert (one["id"], one["app_id"], one["status"], one["stage"]) == (1, 1, "pending", "")
    with socket(shop, 1, token="reader-token") as ws:
        live = frames(ws)
    statuses = [f["data"] for f in live if f["type"] == "status"]
    assert statuses[-1]["status"] == "success" and statuses[-1]["stage"] == "completed", statuses
    assert live[-1]["type"] == "status"  # the socket closes after the final status
    seen = distinct([s["status"] for s in statuses])
    assert seen == sorted(seen, key=MIST_ORDER.index) and "deploying" in seen, seen
    stages = distinct([s["stage"] for s in statuses])
    assert stages == sorted(stages, key=STAGE_ORDER.index), stages
    assert all(
        set(s) == {"deployment_id", "status", "stage", "progress", "message", "error_message"}
        for s in statuses
    )
    assert all(f["timestamp"].endswith("Z") for f in live)
    lines = [f["data"]["line"] for f in live if f["type"] == "log"]
    assert lines and any("switched" in line for line in lines)
    assert hello(shop) == 1
    assert httpx.get(shop.host.url + "/hello-ts", timeout=30).json()["v"] == 1
    assert httpx.get(shop.host.url + "/hello-rb", timeout=30).json()["v"] == 1

    # A late subscriber gets the whole log, then the final status; the text endpoint the same.
    with socket(shop, 1) as ws:
        late = frames(ws)
    assert [f["data"]["line"] for f in late if f["type"] == "log"] == lines
    assert late[-1]["data"]["status"] == "success"
    text = reader.get("/api/deployment/logs/1")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert text.text.splitlines() == lines

    # 2: the folder now holds v2; Mist add deploys it.
    project = shop.host.project
    shutil.rmtree(project / "steps")
    shutil.copytree(PROJECTS / "mixed_v2" / "steps", project / "steps")
    assert api.post("/api/deployment/add", json={"appId": 1}).json()["id"] == 2
    eventually(lambda: hello(shop) == 2, timeout=300, what="v2 to serve")
    assert httpx.get(shop.host.url + "/hello-ts", timeout=30).json()["v"] == 2

    # 3: the phased API deploys an earlier version by its versionId.
    v1 = reader.get("/api/deploys/1").json()["versionId"]
    three = api.post("/api/deploy", json={"productionAppId": APP, "versionId": v1})
    assert three.status_code == 201, three.text
    assert three.json()["status"] in ("pending", "in_progress") and three.json()["number"] == 3
    final = eventually(
        lambda: (d := reader.get(f"/api/deploys/{three.json()['id']}").json())["status"] == "completed" and d,
        timeout=300,
        what="deploy 3",
    )
    assert {p["name"] for p in final["phases"]} == {
        "orchestrate",
        "download",
        "infra",
        "build",
        "package",
        "migrate",
        "upload",
        "service_deploy",
        "cache_invalidation",
    }
    assert all(p["status"] in ("pending", "in_progress", "completed", "failed") for p in final["phases"])
    assert any(p["skipped"] for p in final["phases"] if p["name"] == "migrate")
    assert hello(shop) == 1
    assert api.post("/api/deploy", json={"productionAppId": APP, "versionId": "vnope"}).status_code == 404

    # 4: rollback through the phased API to deployment 2; 5: through Mist back to 1.
    two_id = reader.get("/api/deploys/2").json()["id"]
    assert reader.post(f"/api/deploys/{two_id}/rollback").status_code == 403
    back = api.post(f"/api/deploys/{two_id}/rollback")
    assert back.status_code == 202 and back.json()["kind"] == "rollback"
    eventually(lambda: hello(shop) == 2, timeout=300, what="the rollback to 2")
    history = eventually(
        lambda: (
            (h := api.post("/api/deployment/getByAppId", json={"appId": 1}).json())["data"][0]["status"]
            == "success"
            and h
        ),
        timeout=120,
    )
    assert history["success"] is True and history["message"]
    by_number = {d["deployment_number"]: d for d in history["data"]}
    assert [d["id"] for d in history["data"]] == [4, 3, 2, 1]  # newest first
    assert by_number[3]["status"] == "rolled_back" and not by_number[3]["is_active"]
    assert by_number[2]["is_active"] and by_number[2]["rolled_back_from"] == 3
    for d in history["data"]:
        for name, kind in MIST_FIELDS.items():
            assert isinstance(d[name], kind), (name, d)
        assert isinstance(d["duration"], int)
    mist_back = api.post("/api/deployment/rollback", json={"deploymentId": 1})
    assert mist_back.status_code == 200 and mist_back.json()["data"]["id"] == 5
    eventually(lambda: hello(shop) == 1, timeout=300, what="the rollback to 1")

    # 6 waits at the build pause point; 7 queues behind it and is cancelled through the phased
    # API; 6 is stopped through Mist while its WebSocket watches.
    six = api.post("/api/deploy", json={"productionAppId": APP}).json()
    eventually(lambda: reader.get(f"/api/deploys/{six['id']}").json()["currentPhase"] == "build", timeout=120)
    seven = api.post("/api/deploy", json={"productionAppId": APP}).json()
    cancelled = api.post(f"/api/deploys/{seven['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text  # a queued one ends within a poll
    eventually(lambda: reader.get(f"/api/deploys/{seven['id']}").json()["status"] == "cancelled", timeout=60)
    assert api.post(f"/api/deploys/{seven['id']}/cancel").status_code == 409
    with socket(shop, 6) as ws:
        first = json.loads(ws.recv(timeout=60))
        assert first["type"] in ("status", "log")
        stopped = api.post("/api/deployment/stop", json={"deploymentId": 6})
        assert stopped.status_code == 200, stopped.text
        rest = frames(ws)
    assert rest[-1]["type"] == "status" and rest[-1]["data"]["status"] == "stopped"
    assert api.post("/api/deployment/stop", json={"deploymentId": 6}).status_code == 409
    assert api.post("/api/deployment/stop", json={"deploymentId": 99}).status_code == 404
    assert reader.get(f"/api/deploys/{six['id']}").json()["status"] == "cancelled"
    assert hello(shop) == 1  # nothing a cancel touched was serving

    # The history through the phased API: filters, pagination, the total.
    page = reader.get("/api/deploys", params={"page": 1, "pageSize": 3}).json()
    assert (
        page["total"] == 7
        and page["totalPages"] == 3
        and [d["number"] for d in page["deployments"]] == [7, 6, 5]
    )
    assert [
        d["number"]
        for d in reader.get("/api/deploys", params={"page": 3, "pageSize": 3}).json()["deployments"]
    ] == [1]
    assert reader.get("/api/deploys", params={"status": "cancelled"}).json()["total"] == 2
    done = reader.get("/api/deploys", params={"status": "completed", "productionAppId": APP}).json()
    assert done["total"] == 5 and all(d["productionAppId"] == APP for d in done["deployments"])
    assert reader.get("/api/deploys", params={"status": "weird"}).status_code == 400
    assert reader.get("/api/deploys", params={"pageSize": 0}).status_code == 400
    assert reader.get("/api/deploys", params={"productionAppId": "other"}).status_code == 404
    assert reader.get("/api/deploys/nope").status_code == 404
    with pytest.raises(InvalidStatus) as unknown:
        socket(shop, 42)
    assert unknown.value.response.status_code == 404
    assert reader.get("/api/deployment/logs/42").status_code == 404

    # 8: built and staged through our own API (--no-promote), promoted through the phased API.
    staged = api.post("/__stephost/deployments", json={"promote": False, "fromDeployment": "2"}).json()
    eventually(
        lambda: reader.get(f"/api/deploys/{staged['id']}").json()["status"] == "completed",
        timeout=300,
        what="the staged deploy",
    )
    assert hello(shop) == 1 and not reader.get(f"/api/deploys/{staged['id']}").json()["isActive"]
    assert reader.post(f"/api/deploys/{staged['id']}/promote").status_code == 403
    promoted = api.post(f"/api/deploys/{staged['id']}/promote")
    assert promoted.status_code == 202 and promoted.json()["kind"] == "promote", promoted.text
    eventually(lambda: hello(shop) == 2, timeout=300, what="the promotion")
    assert api.post(f"/api/deploys/{staged['id']}/promote").status_code == 409  # active already
    assert Path(project).is_dir()
