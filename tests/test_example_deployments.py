"""examples/deployment-status: Motia's deployment-status pattern, watched over the WebSocket."""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness import ROOT
from tests.streams_client import StreamClient

EXAMPLE = ROOT / "examples" / "deployment-status"


def test_a_deployment_is_watched_through_every_status(start_host: Any) -> None:
    host = start_host(EXAMPLE, live_steps=3)
    client = StreamClient(host.url)
    try:
        client.join("deployment-status", "deployments")
        assert client.next()["event"]["type"] == "sync"
        r = httpx.post(f"{host.url}/deployments", json={"service": "api", "version": "1.4.2"})
        assert r.status_code == 202
        deployment = r.json()["id"]
        seen = []
        while not seen or seen[-1]["status"] != "live":
            frame = client.next()
            assert frame["id"] == deployment
            seen.append(frame["event"]["data"])
        assert [s["status"] for s in seen] == ["queued", "building", "deploying", "live"]
        assert seen[-1]["history"] == ["queued", "building", "deploying", "live"]
        assert seen[-1]["service"] == "api" and seen[-1]["id"] == deployment
        polled = httpx.get(f"{host.url}/__stephost/streams/deployment-status/deployments/{deployment}").json()
        assert polled == seen[-1]
        assert httpx.post(f"{host.url}/deployments", json={"service": 1}).status_code == 400
    finally:
        client.close()
