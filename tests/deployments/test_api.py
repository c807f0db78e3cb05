"""The deploy API over HTTP on a real host: scoped tokens checked before anything is read,
a deployment that cannot run ends failed in the right phase with every phase's status, its
log, a finished deployment refusing cancel, and responses naming the version that served."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import httpx

from tests.harness import ROOT, eventually

PROJECT = ROOT / "tests" / "projects" / "versions"
TOKENS = "reader-token:read,writer-token:read+write"


def _source() -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        data = (PROJECT / "steps" / "which_step.py").read_bytes()
        info = tarfile.TarInfo("steps/which_step.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _api(host: Any, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=host.url + "/__stephost", headers={"authorization": f"Bearer {token}"}, timeout=30
    )


def test_tokens_scopes_and_a_deploy_without_agents_fails_in_infra(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=1, env={"STEPHOST_DEPLOY_TOKENS": TOKENS})
    served = httpx.get(host.url + "/which")
    assert served.headers["x-stephost-version"] == "fs"

    anonymous = httpx.post(host.url + "/__stephost/deployments", json={})
    assert anonymous.status_code == 401 and "Bearer" in anonymous.json()["error"]
    assert _api(host, "nope").get("/deployments").status_code == 401
    reader, writer, admin = _api(host, "reader-token"), _api(host, "writer-token"), _api(host, host.secret)
    refused = reader.post("/deployments", json={"promote": False})
    assert refused.status_code == 403 and "write" in refused.json()["error"]
    promoting = writer.post("/deployments", json={})
    assert promoting.status_code == 403 and "activate" in promoting.json()["error"]
    assert writer.post("/deployments", json={"promote": False, "env": {"1BAD": "x"}}).status_code == 400
    bad = writer.post("/deployments", json={"promote": "sometimes"})
    assert bad.status_code == 400 and "promote" in bad.json()["error"]
    assert reader.get("/deployments").json() == {"deployments": [], "total": 0}  # nothing was created

    created = writer.post(
        "/deployments", json={"promote": False, "versionName": "first", "env": {"API_KEY": "s3cret"}}
    )
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["number"] == 1 and record["status"] == "pending" and record["envKeys"] == ["API_KEY"]
    assert "s3cret" not in created.text
    assert writer.put(f"/deployments/{record['id']}/source", content=b"not a tarball").status_code == 400
    uploaded = writer.put(f"/deployments/{record['id']}/source", content=_source())
    assert uploaded.status_code == 200 and len(uploaded.json()["sourceDigest"]) == 64
    assert writer.post(f"/deployments/{record['id']}/start").status_code == 202

    def ended() -> dict[str, Any]:
        r = reader.get(f"/deployments/{record['id']}").json()
        return r if r["status"] in ("failed", "completed", "cancelled") else {}

    final = eventually(ended, timeout=60, what="the deploy to end")
    assert final["status"] == "failed" and final["errorPhase"] == "infra"
    assert "no python agent is connected" in final["error"]
    phases = {p["name"]: p["status"] for p in final["phases"]}
    assert phases["orchestrate"] == phases["download"] == "completed"
    assert phases["infra"] == "failed" and phases["build"] == "skipped"
    assert final["languages"] == ["python"]
    assert reader.get("/deployments/1").json()["id"] == record["id"]  # by number too
    logs = reader.get(f"/deployments/{record['id']}/logs").text
    assert "env keys: API_KEY" in logs and "no python agent" in logs
    assert writer.post(f"/deployments/{record['id']}/cancel").status_code == 409
    assert reader.get("/deployments/nope").status_code == 404
    assert reader.get("/deployments", params={"status": "failed"}).json()["total"] == 1
    assert reader.get("/deployments", params={"status": "weird"}).status_code == 400
    assert reader.post("/deployments/rollback").status_code == 403
    assert admin.post("/deployments/rollback").status_code == 404  # nothing completed to go back to


def test_a_dev_host_refuses_deploys(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=1, mode="dev")
    api = _api(host, host.secret)
    created = api.post("/deployments", json={}).json()
    api.put(f"/deployments/{created['id']}/source", content=_source())
    refused = api.post(f"/deployments/{created['id']}/start")
    assert refused.status_code == 409 and "stephost start" in refused.json()["error"]
    assert httpx.get(host.url + "/which").headers["x-stephost-version"] == "fs"
