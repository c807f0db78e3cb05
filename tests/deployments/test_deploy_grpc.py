"""The gRPC Deploy service on a real host with a real Python agent: a deploy through Create,
UploadSource (a client stream) and Start, followed with Watch (snapshots in order, log lines);
tokens and scopes (a refused call changes nothing); cancel at a pause point before the switch
(its workers stopped, the old version serving) and refused after it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from stephost_host.deployments.archive import pack
from stephost_wire.v1 import deploy_pb2 as pb
from stephost_wire.v1 import deploy_pb2_grpc as pb_grpc
from tests.deployments.conftest import PROJECTS, Fleet, get
from tests.harness import eventually

READER = "reader-token:read"


@pytest.fixture
def fleet_env() -> dict[str, str]:
    # Deployment #2 waits before its switch (workers running) until it is cancelled.
    return {"STEPHOST_DEPLOY_TOKENS": READER, "STEPHOST_TEST_DEPLOY_PAUSE": "switch@2"}


def _stub(fleet: Fleet) -> pb_grpc.DeployStub:
    return pb_grpc.DeployStub(grpc.insecure_channel(fleet.host.sidecar_address))


def _auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _chunks(deployment_id: str, data: bytes) -> Iterator[pb.SourceChunk]:
    for i in range(0, len(data), 300):  # several chunks, the first naming the deployment
        yield pb.SourceChunk(deployment_id=deployment_id if i == 0 else "", data=data[i : i + 300])


def _deploy(stub: pb_grpc.DeployStub, token: str, project: Path, **create: Any) -> pb.DeploymentInfo:
    auth = _auth(token)
    record = stub.Create(pb.CreateDeploymentRequest(**create), metadata=auth)
    stub.UploadSource(_chunks(record.id, pack(project, 1 << 20)), metadata=auth)
    return stub.Start(pb.StartDeploymentRequest(deployment_id=record.id), metadata=auth)


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_grpc_deploy_watch_scopes_and_cancel(fleet: Fleet) -> None:
    fleet.agent("python")
    stub, secret = _stub(fleet), fleet.host.secret

    with pytest.raises(grpc.RpcError) as anonymous:
        stub.List(pb.ListDeploymentsRequest())
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as wrong:
        stub.Create(pb.CreateDeploymentRequest(), metadata=_auth("wrong"))
    assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as reader:
        stub.Create(pb.CreateDeploymentRequest(no_promote=True), metadata=_auth("reader-token"))
    assert reader.value.code() == grpc.StatusCode.PERMISSION_DENIED and "write" in reader.value.details()
    assert list(stub.List(pb.ListDeploymentsRequest(), metadata=_auth("reader-token")).deployments) == []
    with pytest.raises(grpc.RpcError) as bad_env:
        stub.Create(pb.CreateDeploymentRequest(env={"NOT VALID": "x"}), metadata=_auth(secret))
    assert bad_env.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "env" in bad_env.value.details()

    started = _deploy(stub, secret, PROJECTS / "v1", version_name="one")
    snapshots, lines = [], []
    for event in stub.Watch(pb.DeploymentRef(deployment_id=started.id), metadata=_auth("reader-token")):
        if event.HasField("snapshot"):
            snapshots.append(event.snapshot)
        else:
            lines.append(event.log_line)
    final = snapshots[-1]
    assert final.status == "completed" and final.progress == 100 and final.is_active, final.message
    progress = [s.progress for s in snapshots]
    assert progress == sorted(progress)  # it only moves forward, through the bands
    statuses = [s.status for s in snapshots]
    seen = [st for i, st in enumerate(statuses) if i == 0 or statuses[i - 1] != st]
    order = ["pending", "building", "uploading", "deploying", "completed"]
    assert seen == sorted(seen, key=order.index) and seen[-1] == "completed"  # snapshots are coalesced
    assert "deploying" in seen
    assert any("switched: version" in line for line in lines)
    record = json.loads(final.record_json)
    assert [b["status"] for b in record["build"]] == ["built"] * 3
    assert record["upload"][0]["status"] == "uploaded"
    assert get(fleet.host, "/hello").json()["v"] == 1

    # #2 pauses before its switch with its workers running: cancel it there.
    paused = _deploy(stub, secret, PROJECTS / "v2")
    eventually(
        lambda: (
            "test pause point"
            in " ".join(
                json.loads(
                    stub.Get(pb.DeploymentRef(deployment_id=paused.id), metadata=_auth(secret)).record_json
                )["deployLogs"]
            )
        ),
        timeout=180,
        what="deployment #2 to reach its pause point",
    )
    version = stub.Get(pb.DeploymentRef(deployment_id="2"), metadata=_auth(secret)).version_id
    versions = fleet.api().get("/versions").json()
    assert any(v["version"] == version and v["live"] for v in versions["versions"])  # warm, not active
    with pytest.raises(grpc.RpcError) as no_scope:
        stub.Cancel(pb.DeploymentRef(deployment_id=paused.id), metadata=_auth("reader-token"))
    assert no_scope.value.code() == grpc.StatusCode.PERMISSION_DENIED
    stub.Cancel(pb.DeploymentRef(deployment_id=paused.id), metadata=_auth(secret))
    cancelled = eventually(
        lambda: (
            (r := stub.Get(pb.DeploymentRef(deployment_id="2"), metadata=_auth(secret))).status == "cancelled"
            and r
        ),
        timeout=60,
    )
    phases = {p["name"]: p["status"] for p in json.loads(cancelled.record_json)["phases"]}
    assert phases["service_deploy"] == "cancelled" and phases["cache_invalidation"] == "cancelled"
    assert not cancelled.is_active and cancelled.activation == ""

    def gone() -> bool:
        found = fleet.api().get("/versions").json()["versions"]
        return not any(v["version"] == version and v["live"] for v in found)

    eventually(gone, timeout=60, what="the cancelled version's workers to stop")
    assert get(fleet.host, "/hello").json()["v"] == 1  # v1 served throughout

    with pytest.raises(grpc.RpcError) as finished:
        stub.Cancel(pb.DeploymentRef(deployment_id="1"), metadata=_auth(secret))
    assert (
        finished.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        and "roll back" in finished.value.details()
    )
