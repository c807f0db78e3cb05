"""zod schemas in Node step files (zod 3 and zod 4) reach the host as JSON Schema."""

from __future__ import annotations

from typing import Any

from tests.harness import ROOT

NODE = ROOT / "tests" / "conformance" / "node"


def test_zod_schemas_arrive_as_json_schema(start_host: Any) -> None:
    steps = start_host(NODE, live_steps=14).steps()
    body = steps["conf-state"]["bodySchema"]  # zod 3 (zod/v3)
    assert body["type"] == "object" and body["properties"]["key"]["type"] == "string"
    assert "key" in body["required"]
    event_input = steps["conf-record"]["input"]  # zod 4
    assert event_input["type"] == "object" and event_input["properties"]["key"]["type"] == "string"
