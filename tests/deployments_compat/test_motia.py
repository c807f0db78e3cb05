"""Motia's deployment API on a real host and agents, deploying a mixed Python/TypeScript/Ruby
project: /cloud/deploy/create, /start (with its deploymentToken and envs), /status/:id with
exactly the documented DeploymentData fields, and the host's deployment-status stream followed
live by Motia's own npm client; auth and bad bodies."""

from __future__ import annotations

import json
import subprocess
import threading
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.deployments.conftest import Fleet
from tests.deployments_compat.conftest import client
from tests.harness import ROOT, eventually

ORDER = ["idle", "building", "uploading", "deploying", "completed"]
FIELDS = {"id": str, "status": str, "progress": int, "message": str, "build": list, "upload": list}
LOGS = ("buildLogs", "uploadLogs", "deployLogs")


def check_deployment_data(d: dict[str, Any]) -> None:
    """Every documented DeploymentData field with its documented type, and nothing else."""
    for name, kind in FIELDS.items():
        assert isinstance(d[name], kind), (name, d)
    assert d["phase"] in ("build", "upload", "deploy", None)
    assert all(isinstance(d[k], list) and all(isinstance(x, str) for x in d[k]) for k in LOGS)
    assert set(d["metadata"]) == {"totalSteps", "completedSteps", "environment"}
    optional = {"error", "startedAt", "completedAt"}
    assert set(d) - optional == {*FIELDS, "phase", *LOGS, "metadata"}, d.keys()
    for key in ("startedAt", "completedAt"):
        assert key not in d or isinstance(d[key], int)
    for b in d["build"]:
        assert {"packagePath", "language", "status", "type"} <= set(b) <= {*b, "size", "errorMessage"}
        assert b["status"] in ("building", "built", "error") and b["type"] in ("event", "api", "cron")


class Watcher:
    """Motia's npm client subscribed to one item; the states it saw, in order."""

    def __init__(self, fleet: Fleet, stream: str, item: str, token: str) -> None:
        script = ROOT / "tests" / "motia_client" / "watch_item.mjs"
        url = fleet.host.url.replace("http://", "ws://")
        self.proc = subprocess.Popen(
            ["node", str(script), url, stream, "deployments", item, token],
            stdout=subprocess.PIPE,
            text=True,
            cwd=script.parent,
        )
        self.states: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if item := json.loads(line)["item"]:
                self.states.append(item)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def test_create_start_status_and_the_live_stream(shop: Fleet) -> None:
    api, anonymous, reader = client(shop), client(shop, None), client(shop, "reader-token")
    writer = client(shop, "writer-token")

    # No door without a credential, and nothing made by a refused call.
    assert anonymous.post("/cloud/deploy/create", json={"versionName": "v1"}).status_code == 401
    assert client(shop, "wrong").post("/cloud/deploy/create", json={"versionName": "v1"}).status_code == 401
    assert reader.post("/cloud/deploy/create", json={"versionName": "v1"}).status_code == 403
    refused = writer.post("/cloud/deploy/create", json={"versionName": "v1"})
    assert refused.status_code == 403 and "activate" in refused.json()["error"]
    bad = api.post("/cloud/deploy/create", json={"environmentId": "production"})
    assert bad.status_code == 400 and "versionName" in bad.json()["error"]
    other = api.post("/cloud/deploy/create", json={"environmentId": "staging", "versionName": "v1"})
    assert other.status_code == 404 and "staging" in other.json()["error"]
    assert api.get("/__stephost/deployments").json()["total"] == 0

    created = api.post("/cloud/deploy/create", json={"environmentId": "production", "versionName": "v1.0.0"})
    assert created.status_code == 200, created.text
    c = created.json()
    assert set(c) == {"deploymentId", "deploymentToken", "environmentName", "projectName", "versionName"}
    assert (c["environmentName"], c["projectName"], c["versionName"]) == ("production", "shop", "v1.0.0")
    deployment_id, token = c["deploymentId"], c["deploymentToken"]

    status = anonymous.get(f"/cloud/deploy/status/{deployment_id}")
    assert status.status_code == 401
    idle = client(shop, token).get(f"/cloud/deploy/status/{deployment_id}")  # its own token reads it
    assert idle.status_code == 200 and idle.json()["success"] is True
    check_deployment_data(idle.json()["deployment"])
    assert idle.json()["deployment"]["status"] == "idle" and idle.json()["deployment"]["phase"] is None
    assert reader.get("/cloud/deploy/status/nope").status_code == 404

    # The stream refuses a join without a deploy credential (an error event, no data).
    with connect(shop.host.url.replace("http://", "ws://") + "/") as ws:
        ws.send(
            json.dumps(
                {
                    "type": "join",
                    "data": {
                        "streamName": "deployment-status",
                        "groupId": "deployments",
                        "id": deployment_id,
                        "subscriptionId": "s",
                    },
                }
            )
        )
        refusal = json.loads(ws.recv(timeout=30))
        assert (
            refusal["event"]["event"]["type"] == "error"
            and refusal["event"]["event"]["data"]["code"] == "forbidden"
        )

    watcher = Watcher(shop, "deployment-status", deployment_id, "reader-token")
    try:
        eventually(lambda: watcher.states and watcher.states[0], timeout=60, what="the client's sync")
        assert watcher.states[0]["status"] == "idle"

        start = {"deploymentToken": token, "deploymentId": deployment_id, "envs": {"GREETING": "hi"}}
        assert (
            anonymous.post("/cloud/deploy/start", json={**start, "deploymentToken": "forged"}).status_code
            == 401
        )
        assert anonymous.post("/cloud/deploy/start", json={**start, "envs": {"1X": "y"}}).status_code == 400
        no_id = anonymous.post("/cloud/deploy/start", json={"deploymentToken": token})
        assert no_id.status_code == 400 and "deploymentId" in no_id.json()["error"]
        started = anonymous.post("/cloud/deploy/start", json=start)
        assert started.status_code == 200, started.text
        assert started.json() == {
            "success": True,
            "message": "Deployment started",
            "deploymentId": deployment_id,
            "streamName": "deployment-status",
            "groupId": "deployments",
            "itemId": deployment_id,
        }
        assert anonymous.post("/cloud/deploy/start", json=start).status_code == 409

        # Polling the status endpoint sees the same record move, and it ends completed.
        polled: list[str] = []

        def finished() -> dict[str, Any]:
            d = reader.get(f"/cloud/deploy/status/{deployment_id}").json()["deployment"]
            check_deployment_data(d)
            polled.append(d["status"])
            return d if d["status"] in ("completed", "failed") else {}

        final = eventually(finished, timeout=300, interval=0.1, what="the deploy to end")
        assert final["status"] == "completed", final
        assert final["progress"] == 100 and final["phase"] is None and "error" not in final
        assert final["completedAt"] >= final["startedAt"]
        assert sorted((b["language"], b["status"]) for b in final["build"]) == [
            ("node", "built"),
            ("python", "built"),
            ("python", "built"),
            ("python", "built"),
            ("ruby", "built"),
        ]
        assert {(u["language"], u["status"]) for u in final["upload"]} == {
            ("node", "uploaded"),
            ("python", "uploaded"),
            ("ruby", "uploaded"),
        }
        assert final["metadata"] == {"totalSteps": 5, "completedSteps": 5, "environment": "production"}
        assert final["buildLogs"] and final["deployLogs"]
        seen_polled = [s for i, s in enumerate(polled) if i == 0 or polled[i - 1] != s]
        assert seen_polled == sorted(seen_polled, key=ORDER.index)

        # The npm client saw it live: states in order, each a whole DeploymentData, ending completed.
        eventually(
            lambda: watcher.states[-1]["status"] == "completed", timeout=30, what="the stream's last state"
        )
        statuses = [s["status"] for s in watcher.states]
        for s in watcher.states:
            check_deployment_data(s)
        distinct = [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]
        assert distinct == ORDER, distinct  # every transition, even the short upload band
        progress = [s["progress"] for s in watcher.states]
        assert progress == sorted(progress), progress
        assert len(watcher.states) < 100  # coalesced, not one frame per record write
    finally:
        watcher.stop()

    hello = httpx.get(shop.host.url + "/hello", timeout=30).json()
    assert hello["greeting"] == "hi" and hello["v"] == 1  # the folder's source, with its envs
    assert httpx.get(shop.host.url + "/hello-ts", timeout=30).json()["greeting"] == "hi"
    assert httpx.get(shop.host.url + "/hello-rb", timeout=30).json()["v"] == 1
