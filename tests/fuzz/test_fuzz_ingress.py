"""Random requests to the public gRPC ingress: Emit, EmitBatch, state and stream reads.

Every call must end with OK or a refusal that names what is wrong (INVALID_ARGUMENT,
NOT_FOUND, ALREADY_EXISTS, ...). A failure is INTERNAL or UNKNOWN (an unhandled error),
UNAVAILABLE or a deadline (a dropped or stuck call), a refusal with no message, or the host
or a sidecar restarting (FuzzHost.assert_unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from stephost_wire import codec
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.fuzz import strategies as fz
from tests.fuzz.conftest import FuzzHost, fuzz

REFUSALS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.OUT_OF_RANGE,
}
names = (
    st.sampled_from(["", "g", "a.b", "*", ">", "a b", "x" * 300, "fuzz.event", "ok-1", "crew-a"]) | fz.text
)
topics = st.sampled_from(["fuzz.event", "", "fuzz.*", "fuzz.>", "a..b", " "]) | fz.text
streams = st.sampled_from(["notes", "guarded", "crew", "nope", ""]) | fz.text
json_texts = fz.json_text_with_large

emits = st.builds(
    pb.EmitRequest,
    topic=topics,
    data_json=json_texts,
    message_group_id=st.just("") | names,
    idempotency_key=st.just("") | names,
    trace_id=st.just("") | names,
)
# (method name, request or request list for the streaming EmitBatch)
calls = st.one_of(
    st.tuples(st.just("Emit"), emits),
    st.tuples(
        st.just("EmitBatch"),
        st.lists(st.builds(pb.EmitBatchRequest, events=st.lists(emits, max_size=4)), max_size=3),
    ),
    st.tuples(st.just("GetState"), st.builds(pb.GetStateRequest, group=names, key=names)),
    st.tuples(
        st.just("SetState"), st.builds(pb.SetStateRequest, group=names, key=names, value_json=json_texts)
    ),
    st.tuples(st.just("DeleteState"), st.builds(pb.DeleteStateRequest, group=names, key=names)),
    st.tuples(st.just("GetGroup"), st.builds(pb.GetGroupRequest, group=names)),
    st.tuples(
        st.just("GetStreamItem"), st.builds(pb.GetStreamItemRequest, stream=streams, group_id=names, id=names)
    ),
    st.tuples(st.just("GetStreamGroup"), st.builds(pb.GetStreamGroupRequest, stream=streams, group_id=names)),
    st.tuples(st.just("ListSteps"), st.just(pb.ListStepsRequest())),
)


@pytest.fixture(scope="module")
def stub(fuzz_host: FuzzHost) -> Iterator[pb_grpc.IngressStub]:
    channel = grpc.insecure_channel(fuzz_host.host.info["ingress"], options=codec.grpc_options())
    yield pb_grpc.IngressStub(channel)
    channel.close()


def invoke(stub: pb_grpc.IngressStub, method: str, request: Any) -> None:
    call: Callable[..., Any] = getattr(stub, method)
    if method == "EmitBatch":  # bidi: one answer per request, all read
        list(call(iter(request), timeout=30))
    else:
        call(request, timeout=30)


@fuzz()
@given(call=calls)
def test_random_calls_end_with_an_answer_or_a_named_refusal(
    fuzz_host: FuzzHost, stub: pb_grpc.IngressStub, call: tuple[str, Any]
) -> None:
    method, request = call
    try:
        invoke(stub, method, request)
        event(f"{method} -> OK")  # shown by --hypothesis-show-statistics
    except grpc.RpcError as exc:
        code, details = exc.code(), exc.details()
        event(f"{method} -> {code.name}")
        assert code in REFUSALS, f"{method} -> {code.name}: {details}"
        assert details, f"{method} -> {code.name} with no message"


def test_the_host_survived(fuzz_host: FuzzHost) -> None:
    fuzz_host.assert_unchanged()
