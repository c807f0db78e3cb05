"""validate_schemas, with real sidecars of every language (tests/projects/validation): a body
outside its step's bodySchema is a 400 naming the JSON path and the reason before the handler
runs; data outside a subscriber's `input` is refused to whoever emits it (ctx.emit in each
language, the gRPC ingress, `stephost emit`) and nothing is stored. The schemas come from
zod (TypeScript), pydantic models (Python) and plain JSON Schema (Ruby)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from stephost_wire.v1 import ingress_pb2 as pb
from tests.harness import ROOT, STEPHOST, HostWithDoors, eventually

PROJECT = ROOT / "tests" / "projects" / "validation"
LANGS = ("ts", "py", "rb")
SINKS = {"ts": "val-ts-sink", "py": "val-py-sink", "rb": "val-rb-sink"}


class Project(HostWithDoors):
    def __init__(self, tmp: Path) -> None:
        super().__init__(PROJECT, tmp, live_steps=10)

    def state(self, key: str) -> Any:
        answer = self.stub.GetState(pb.GetStateRequest(group="val", key=key), timeout=10)
        return json.loads(answer.value_json) if answer.found else None


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    p = Project(tmp_path_factory.mktemp("validation"))
    yield p
    p.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_body_outside_the_body_schema_is_a_400_naming_path_and_reason(project: Project, lang: str) -> None:
    r = project.http.post(f"/{lang}/orders", json={"id": "o1", "qty": "two"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["path"] == "$.qty"
    assert body["reason"] == "'two' is not of type 'integer'"
    assert body["error"] == (
        f"request body does not match the bodySchema of step 'val-{lang}-order' at $.qty: "
        "'two' is not of type 'integer'"
    )
    assert body["traceId"] == r.headers["x-trace-id"]
    missing = project.http.post(f"/{lang}/orders", json={"qty": 0})
    assert missing.status_code == 400
    assert missing.json()["reason"] in ("'id' is a required property", "0 is less than the minimum of 1")
    empty = project.http.post(f"/{lang}/orders")
    assert (empty.status_code, empty.json()["path"]) == (400, "$")
    ok = project.http.post(f"/{lang}/orders", json={"id": "o1", "qty": 2})
    assert (ok.status_code, ok.json()) == (200, {"accepted": {"id": "o1", "qty": 2}})


@pytest.mark.parametrize("emitter", LANGS)
@pytest.mark.parametrize("sink", LANGS)
def test_ctx_emit_outside_a_subscriber_input_is_refused(project: Project, emitter: str, sink: str) -> None:
    before = project.stored()
    bad = project.http.post(f"/{emitter}/emit", json={"topic": f"val.{sink}", "data": {"id": 7, "qty": 1}})
    assert bad.status_code == 200, bad.text
    assert (
        f"does not match the input schema of step '{SINKS[sink]}' (it subscribes to 'val.{sink}') "
        "at $.id: 7 is not of type 'string'; nothing was emitted"
    ) in bad.json()["error"]
    assert project.stored() == before
    key = f"{emitter}-to-{sink}"
    good = project.http.post(f"/{emitter}/emit", json={"topic": f"val.{sink}", "data": {"id": key, "qty": 3}})
    assert good.json() == {"ok": True}
    assert eventually(lambda: project.state(f"{sink}:{key}"), timeout=60) == {"id": key, "qty": 3}


def test_the_ingress_refuses_the_same_data(project: Project) -> None:
    before = project.stored()
    with pytest.raises(grpc.RpcError) as err:
        project.stub.Emit(pb.EmitRequest(topic="val.py", data_json='{"id": "x", "qty": 1.5}'), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details() == (
        "data_json does not match the input schema of step 'val-py-sink' (it subscribes to 'val.py') "
        "at $.qty: 1.5 is not of type 'integer'; nothing was emitted"
    )
    assert project.stored() == before


def test_stephost_emit_is_refused_with_path_and_reason(project: Project) -> None:
    before = project.stored()
    done = subprocess.run(
        [
            *STEPHOST,
            "emit",
            "--topic",
            "val.rb",
            "--message",
            '{"id": "cli"}',
            "--project",
            str(PROJECT),
            "--state-dir",
            str(project.host.state_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "input schema of step 'val-rb-sink'" in done.stderr
    assert "at $: 'qty' is a required property" in done.stderr
    assert project.stored() == before
