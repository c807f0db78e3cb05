"""Exact answers from the gRPC ingress: JSON nested too deep is INVALID_ARGUMENT naming the
depth (not UNKNOWN from a RecursionError), for emits, batches, state and stream items alike,
since the rule lives once in operations/rules.py; and a read NATS does not answer says
it was a read, not that "the write" was not acknowledged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest

from stephost_wire.codec import MAX_JSON_DEPTH
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import HostProcess, NatsServer


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def host(tmp_path: Path, start_host: Any) -> HostProcess:
    project = tmp_path / "project"
    (project / "steps").mkdir(parents=True)
    return start_host(project, live_steps=0, args=["--no-sidecars"])  # type: ignore[no-any-return]


@pytest.fixture
def stub(host: HostProcess) -> Any:
    with grpc.insecure_channel(str(host.info["ingress"])) as channel:
        yield pb_grpc.IngressStub(channel)


DEEP = 5000  # far past Python's recursion limit: the parser itself would blow up


@pytest.mark.parametrize(
    ("call", "request_for", "field"),
    [
        ("Emit", lambda j: pb.EmitRequest(topic="deep", data_json=j), "data_json"),
        ("SetState", lambda j: pb.SetStateRequest(group="g", key="k", value_json=j), "value_json"),
    ],
)
def test_json_nested_too_deep_is_an_invalid_argument_naming_the_depth(
    stub: Any, call: str, request_for: Any, field: str
) -> None:
    for depth in (MAX_JSON_DEPTH + 1, DEEP):
        with pytest.raises(grpc.RpcError) as err:
            getattr(stub, call)(request_for(nested(depth)), timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
        assert err.value.details() == (
            f"{field} is JSON nested {depth} levels deep; at most {MAX_JSON_DEPTH} levels are allowed"
        )
    getattr(stub, call)(request_for(nested(MAX_JSON_DEPTH)), timeout=10)  # the limit itself is fine


def test_a_deep_event_in_a_batch_is_named_by_its_index(stub: Any) -> None:
    batch = pb.EmitBatchRequest(
        events=[
            pb.EmitRequest(topic="deep", data_json="1"),
            pb.EmitRequest(topic="deep", data_json=nested(DEEP)),
        ]
    )
    with pytest.raises(grpc.RpcError) as err:
        list(stub.EmitBatch(iter([batch]), timeout=10))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith(f"events[1].data_json is JSON nested {DEEP} levels deep")


def test_a_read_nats_does_not_answer_says_it_was_a_read(stub: Any, nats_server: NatsServer) -> None:
    stub.SetState(pb.SetStateRequest(group="g", key="k", value_json="1"), timeout=10)
    nats_server.kill()
    with pytest.raises(grpc.RpcError) as err:
        stub.GetState(pb.GetStateRequest(group="g", key="k"), timeout=30)
    details = err.value.details() or ""
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE, details
    assert "NATS did not answer the read" in details and "retry the read" in details
    assert "write" not in details
