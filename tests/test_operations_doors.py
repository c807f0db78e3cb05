"""Both doors onto the host operations refuse the same bad input with the same error.

One real host serves a Python step that makes ctx calls over the sidecar link exactly
as it is told (tests/projects/doors) and the gRPC ingress. Each row of the table goes
through both doors; the error must be the same, message text included, except for how
each door spells the field (``messageGroupId`` in a handler, ``message_group_id`` in
ingress.proto). Nothing refused may reach the events stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from stephost_wire.v1 import ingress_pb2 as pb
from tests.harness import ROOT, HostWithDoors, eventually

PROJECT = ROOT / "tests" / "projects" / "doors"
STEPS = 3
NATS_LIMIT = 1_048_576 - 4096  # the test server's max_payload less header room
# How each door spells a field, and the one spelling the comparison uses.
SPELLINGS = [
    ("messageGroupId", "message_group_id"),
    ("emit data", "data"),
    ("data_json", "data"),
    ("state value", "value"),
    ("value_json", "value"),
    ("groupId", "group_id"),
]


class Doors(HostWithDoors):
    """A host on its own NATS with both doors open; the ingress limit is the NATS one."""

    def __init__(self, tmp: Path) -> None:
        env = {"STEPHOST_INGRESS_MAX_PAYLOAD_BYTES": "5000000", "STEPHOST_VALIDATE_SCHEMAS": "true"}
        super().__init__(PROJECT, tmp, STEPS, env)

    def link(self, body: dict[str, Any]) -> dict[str, Any]:
        """What the step's ctx call answered: {"ok": result} or {"type", "message"}."""
        r = self.http.post("/try", json=body)
        assert r.status_code == 200, r.text
        answer: dict[str, Any] = r.json()
        return answer

    def ingress(self, method: str, request: Any) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as err:
            getattr(self.stub, method)(request, timeout=10)
        return err.value


@pytest.fixture(scope="module")
def doors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    d = Doors(tmp_path_factory.mktemp("doors"))
    yield d
    d.close()


def canonical(message: str) -> str:
    for spelled, name in SPELLINGS:
        message = message.replace(spelled, name)
    return message


@dataclass(frozen=True)
class Row:
    what: str
    link: dict[str, Any]  # the try step's body
    method: str  # the Ingress method
    request: Any
    error_type: str  # as a handler's HostCallError.type
    code: grpc.StatusCode
    fragment: str  # in the (canonical) message

    def __str__(self) -> str:
        return self.what


def emit(topic: str = "doors.plain", **extra: Any) -> dict[str, Any]:
    return {"call": "emit", "topic": topic, "data": {"n": 1}, **extra}


INVALID = ("InvalidArgument", grpc.StatusCode.INVALID_ARGUMENT)
TABLE = [
    Row("empty topic", emit(""), "Emit", pb.EmitRequest(topic="", data_json="1"), *INVALID, "topic is empty"),
    Row(
        "long topic",
        emit("t" * 300),
        "Emit",
        pb.EmitRequest(topic="t" * 300, data_json="1"),
        *INVALID,
        "topic is 300 characters; at most 256",
    ),
    Row(
        "oversized payload",
        emit(size=NATS_LIMIT),
        "Emit",
        pb.EmitRequest(topic="doors.plain", data_json=json.dumps("x" * NATS_LIMIT)),
        *INVALID,
        f"data is {NATS_LIMIT + 2} bytes, over this host's limit of {NATS_LIMIT} bytes",
    ),
    Row(
        "NaN in data",
        emit(nan=True),
        "Emit",
        pb.EmitRequest(topic="doors.plain", data_json="NaN"),
        *INVALID,
        "data is not valid JSON: NaN is not JSON",
    ),
    Row(
        "newline in the group",
        emit(group="a\nb"),
        "Emit",
        pb.EmitRequest(topic="doors.plain", data_json="1", message_group_id="a\nb"),
        *INVALID,
        "message_group_id must not contain control characters",
    ),
    Row(
        "long group",
        emit(group="g" * 300),
        "Emit",
        pb.EmitRequest(topic="doors.plain", data_json="1", message_group_id="g" * 300),
        *INVALID,
        "message_group_id is 300 characters; at most 256",
    ),
    Row(
        "FIFO topic without a group",
        emit("doors.fifo"),
        "Emit",
        pb.EmitRequest(topic="doors.fifo", data_json="1"),
        *INVALID,
        "message_group_id is empty, but topic 'doors.fifo' has FIFO subscribers (doors-fifo)",
    ),
    Row(
        "data outside a subscriber's input schema",
        emit("doors.typed"),
        "Emit",
        pb.EmitRequest(topic="doors.typed", data_json='{"n": 1}'),
        *INVALID,
        "data does not match the input schema of step 'doors-typed' (it subscribes to 'doors.typed') "
        "at $.n: 1 is not of type 'string'; nothing was emitted",
    ),
    Row(
        "empty state key",
        {"call": "state", "op": "set", "group": "doors", "key": "", "value": 1},
        "SetState",
        pb.SetStateRequest(group="doors", key="", value_json="1"),
        *INVALID,
        "key is empty",
    ),
    Row(
        "empty state group",
        {"call": "state", "op": "get", "group": "", "key": "k"},
        "GetState",
        pb.GetStateRequest(group="", key="k"),
        *INVALID,
        "group is empty",
    ),
    Row(
        "NaN state value",
        {"call": "state", "op": "set", "group": "doors", "key": "k", "nan": True},
        "SetState",
        pb.SetStateRequest(group="doors", key="k", value_json="NaN"),
        *INVALID,
        "value is not valid JSON: NaN is not JSON",
    ),
    Row(
        "unknown stream",
        {"call": "stream", "op": "get_group", "stream": "nope", "group_id": "g"},
        "GetStreamGroup",
        pb.GetStreamGroupRequest(stream="nope", group_id="g"),
        "NotFound",
        grpc.StatusCode.NOT_FOUND,
        "no stream named 'nope' is defined (defined streams: doors-live;",
    ),
    Row(
        "empty stream group",
        {"call": "stream", "op": "get_group", "stream": "doors-live", "group_id": ""},
        "GetStreamGroup",
        pb.GetStreamGroupRequest(stream="doors-live", group_id=""),
        *INVALID,
        "group_id is empty",
    ),
    Row(
        "empty stream item id",
        {"call": "stream", "op": "get", "stream": "doors-live", "group_id": "g", "id": ""},
        "GetStreamItem",
        pb.GetStreamItemRequest(stream="doors-live", group_id="g", id=""),
        *INVALID,
        "id is empty",
    ),
]


@pytest.mark.parametrize("row", TABLE, ids=str)
def test_both_doors_refuse_alike(doors: Doors, row: Row) -> None:
    before = doors.stored()
    by_link = doors.link(row.link)
    by_ingress = doors.ingress(row.method, row.request)
    assert (by_link.get("type"), by_ingress.code()) == (row.error_type, row.code), (by_link, by_ingress)
    assert canonical(by_link["message"]) == canonical(by_ingress.details() or "")
    assert row.fragment in canonical(by_link["message"])
    assert doors.stored() == before


@pytest.mark.parametrize(
    ("stream", "group", "status"),
    [("nope", "g", 404), ("doors-live", "g" * 2000, 400)],
    ids=["unknown stream", "over-long group"],
)
def test_the_http_stream_door_refuses_alike(doors: Doors, stream: str, group: str, status: int) -> None:
    """The admin HTTP stream read is a third door onto the same operations."""
    by_link = doors.link({"call": "stream", "op": "get_group", "stream": stream, "group_id": group})
    r = doors.http.get(f"/__stephost/streams/{stream}/{group}")
    assert r.status_code == status, r.text
    assert canonical(r.json()["error"]) == canonical(by_link["message"])


def test_what_the_table_refuses_goes_through_both_doors_once_corrected(doors: Doors) -> None:
    """The rows fail for the reason they name: fixed, the same calls succeed."""
    before = doors.stored()
    assert doors.link(emit("doors.fifo", data={"id": "link"}, group="g1")) == {"ok": None}
    doors.stub.Emit(pb.EmitRequest(topic="doors.fifo", data_json='{"id": "ingress"}', message_group_id="g1"))
    assert doors.link(emit("doors.typed", data={"n": "link"})) == {"ok": None}
    assert doors.link(emit(size=NATS_LIMIT - 2)) == {"ok": None}
    doors.stub.Emit(pb.EmitRequest(topic="doors.plain", data_json=json.dumps("x" * (NATS_LIMIT - 2))))
    doors.stub.Emit(pb.EmitRequest(topic="doors.typed", data_json='{"n": "ingress"}'))
    assert doors.stored() == before + 6
    for who in ("link", "ingress"):
        eventually(
            lambda w=who: doors.link({"call": "state", "op": "get", "group": "doors-fifo", "key": w})["ok"]
        )
        eventually(
            lambda w=who: doors.link({"call": "state", "op": "get", "group": "doors-typed", "key": w})["ok"]
        )
    assert doors.link({"call": "stream", "op": "get_group", "stream": "doors-live", "group_id": "g"}) == {
        "ok": []
    }
