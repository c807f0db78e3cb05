"""How the compatible APIs share names with a project: the project's own `deployment-status`
stream and api routes win (examples/deployment-status keeps working; the host publishes as
`stephost-deployment-status` and says so), deploy_apis turns surfaces off, and a deploy
credential opens the host's stream even where the project's stream auth hook would refuse it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.harness import ROOT, eventually
from tests.streams_client import StreamClient

EXAMPLE = ROOT / "examples" / "deployment-status"
STREAMS_PROJECT = ROOT / "tests" / "projects" / "streams"
CLASHING_STEP = """
config = {"type": "api", "name": "own-deploys", "method": "GET", "path": "/api/deploys"}


async def handler(req, ctx):
    return {"status": 200, "body": {"mine": True}}
"""


def _secret(host: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {host.secret}"}


def test_the_projects_own_deployment_status_stream_wins(start_host: Any) -> None:
    host = start_host(EXAMPLE, live_steps=3)
    created = httpx.post(host.url + "/cloud/deploy/create", json={"versionName": "x"}, headers=_secret(host))
    deployment = created.json()["deploymentId"]
    start = {"deploymentToken": created.json()["deploymentToken"], "deploymentId": deployment}
    started = httpx.post(host.url + "/cloud/deploy/start", json=start, timeout=30)
    assert started.status_code == 200, started.text
    assert started.json()["streamName"] == "stephost-deployment-status"

    # The host's stream under its other name: this deployment (no agents: it fails in infra).
    watcher = StreamClient(host.url, token=host.secret)
    try:
        watcher.join("stephost-deployment-status", "deployments", deployment)
        item = watcher.next(timeout=30)["event"]["data"]
        while item["status"] != "failed":
            item = watcher.next(timeout=120)["event"]["data"]
        assert item["id"] == deployment and item["phase"] == "build"  # infra is in the build band
        assert "agent is connected" in item["error"]
    finally:
        watcher.close()

    # The project's stream and its steps are untouched.
    client = StreamClient(host.url)
    try:
        client.join("deployment-status", "deployments")
        assert client.next()["event"] == {"type": "sync", "data": []}
        own = httpx.post(host.url + "/deployments", json={"service": "api", "version": "1"}, timeout=30)
        assert own.status_code == 202
        frame = client.next(timeout=30)
        assert frame["streamName"] == "deployment-status" and frame["event"]["data"]["service"] == "api"
    finally:
        client.close()


def test_project_routes_win_and_deploy_apis_turns_surfaces_off(start_host: Any, tmp_path: Path) -> None:
    project = tmp_path / "clash"
    (project / "steps").mkdir(parents=True)
    (project / "steps" / "own_deploys_step.py").write_text(CLASHING_STEP)
    host = start_host(project, live_steps=1, env={"STEPHOST_DEPLOY_APIS": "phased,mist"})
    assert httpx.get(host.url + "/api/deploys", headers=_secret(host)).json() == {"mine": True}
    assert httpx.post(host.url + "/api/deploy", json={}).status_code == 401  # the phased API's, still on
    eventually(
        lambda: host.log_lines("deployment API endpoints", "GET /api/deploys (phased)"),
        timeout=30,
        what="the warning naming the endpoint the project's route took",
    )
    off = httpx.post(host.url + "/cloud/deploy/create", json={"versionName": "x"}, headers=_secret(host))
    assert off.status_code == 404 and "no step serves" in off.json()["error"]  # motia is off
    client = StreamClient(host.url, token=host.secret)
    try:
        client.join("deployment-status", "deployments")
        assert client.next()["event"]["event"]["data"]["code"] == "not_found"
    finally:
        client.close()


def test_a_deploy_token_opens_only_the_hosts_stream_past_the_projects_hook(start_host: Any) -> None:
    host = start_host(STREAMS_PROJECT, live_steps=3)
    client = StreamClient(host.url, token=host.secret)  # the project's hook knows no such token
    try:
        client.join("deployment-status", "deployments")
        assert client.next()["event"] == {"type": "sync", "data": []}
        client.join("todo", "inbox", sub="s2")
        refused = client.next()["event"]["event"]["data"]
        assert refused["code"] == "forbidden" and "deploy credential" in refused["message"]
    finally:
        client.close()
    alice = StreamClient(host.url, token="alice-token")  # a project user: the host's stream is closed
    try:
        alice.join("deployment-status", "deployments")
        assert alice.next()["event"]["event"]["data"]["code"] == "forbidden"
    finally:
        alice.close()


def test_nothing_to_deploy_is_refused_before_anything_is_made(start_host: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    host = start_host(empty, live_steps=0, args=["--no-sidecars"])
    added = httpx.post(host.url + "/api/deployment/add", json={"appId": 1}, headers=_secret(host))
    assert added.status_code == 409 and "nothing to deploy" in added.json()["message"]
    history = httpx.post(host.url + "/api/deployment/getByAppId", json={"appId": 1}, headers=_secret(host))
    assert history.json()["data"] == []
    created = httpx.post(host.url + "/cloud/deploy/create", json={"versionName": "x"}, headers=_secret(host))
    start = {
        "deploymentToken": created.json()["deploymentToken"],
        "deploymentId": created.json()["deploymentId"],
    }
    refused = httpx.post(host.url + "/cloud/deploy/start", json=start)
    assert refused.status_code == 409 and "upload a source" in refused.json()["error"]
    status = httpx.get(host.url + f"/cloud/deploy/status/{start['deploymentId']}", headers=_secret(host))
    assert status.json()["deployment"]["status"] == "idle"  # still waiting for a source
