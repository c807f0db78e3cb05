"""`stephost generate openapi` and the live /__stephost/api/openapi.json: OpenAPI 3.1 from
every api step in every language, valid by openapi-spec-validator, and schemathesis finds no
server error or schema violation when it fuzzes the demo's spec against a real host."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.harness import ROOT, STEPHOST, HostProcess, stephost

DEMO = ROOT / "examples" / "demo"
MIXED = ROOT / "tests" / "projects" / "validation"  # TypeScript (zod), Python (pydantic), Ruby


def generate(project: Path, out: Path, *extra: str) -> dict[str, Any]:
    done = stephost("generate", "openapi", str(project), "-o", str(out), *extra)
    assert done.returncode == 0, done.stderr
    spec: dict[str, Any] = json.loads(out.read_text())
    validate(spec)  # type: ignore[arg-type]
    return spec


def test_the_demo_spec_is_valid_openapi_31(tmp_path: Path) -> None:
    spec = generate(DEMO, tmp_path / "openapi.json", "--title", "Orders", "--version", "2.1.0")
    assert spec["openapi"] == "3.1.0" and spec["info"] == {"title": "Orders", "version": "2.1.0"}
    assert sorted((p, m) for p, ops in spec["paths"].items() for m in ops) == [
        ("/orders", "post"),
        ("/orders-report", "get"),
        ("/orders/{id}", "get"),
    ]
    create = spec["paths"]["/orders"]["post"]
    assert create["operationId"] == "create-order" and create["tags"] == ["orders"]
    assert create["description"] == "Accepts an order and hands it to the flow"
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert spec["components"]["schemas"][body.rsplit("/", 1)[1]]["required"] == ["item", "quantity"]
    assert {"201", "400", "500", "503"} <= set(create["responses"])
    args = ("--project", str(DEMO), "-o", "-", "--title", "Orders", "--version", "2.1.0")
    to_stdout = stephost("generate", "openapi", *args)
    assert json.loads(to_stdout.stdout) == spec
    get = spec["paths"]["/orders/{id}"]["get"]
    assert get["parameters"] == [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]


def test_every_language_and_schema_kind_is_in_the_spec_and_the_live_one_matches(tmp_path: Path) -> None:
    spec = generate(MIXED, tmp_path / "openapi.json")
    ops = {op["operationId"]: op for ops in spec["paths"].values() for op in ops.values()}
    assert {"val-ts-order", "val-py-order", "val-rb-order", "val-py-lookup"} <= set(ops)
    schemas = spec["components"]["schemas"]
    for lang in ("ts", "py", "rb"):  # zod, pydantic and plain JSON Schema, each as JSON Schema
        ref = ops[f"val-{lang}-order"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[ref.rsplit("/", 1)[1]]
        assert body["properties"]["qty"]["type"] == "integer", body
        assert sorted(body["required"]) == ["id", "qty"]
        # validate_schemas is on in this project: the host's own 400 is documented
        assert ops[f"val-{lang}-order"]["responses"]["400"]["description"].startswith("The request body")
    for lang in ("ts", "py"):  # responseSchema by status, from zod and from a pydantic model
        ok = ops[f"val-{lang}-order"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ok.rsplit("/", 1)[1] in schemas
    lookup = spec["paths"]["/py/orders/{id}"]["get"]
    assert lookup["tags"] == ["validation", "lookups"] and lookup["summary"] == "One order by id"
    assert [(p["name"], p["in"]) for p in lookup["parameters"]] == [("id", "path"), ("fields", "query")]
    assert lookup["parameters"][1]["description"] == "which fields to return"

    host = HostProcess(MIXED, tmp_path / "host", None).wait_ready(10)
    try:
        secret = (tmp_path / "host" / "secret").read_text().strip()
        r = httpx.get(host.url + "/__stephost/api/openapi.json")
        assert r.status_code == 401  # `stephost start`: introspection needs the secret
        live = httpx.get(
            host.url + "/__stephost/api/openapi.json", headers={"authorization": f"Bearer {secret}"}
        ).json()
        validate(live)
        assert (live["paths"], live["components"]) == (spec["paths"], spec["components"])
        admin = httpx.get(
            host.url + "/__stephost/openapi.json", headers={"authorization": f"Bearer {secret}"}
        )
        assert admin.json()["info"]["title"] == "stephost"  # FastAPI's own admin schema is still there
    finally:
        host.stop()


def test_a_step_file_that_does_not_load_fails_the_command_naming_it(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "steps").mkdir(parents=True)
    (project / "steps" / "ok_step.py").write_text(
        'config = {"name": "ok", "type": "api", "path": "/ok", "method": "GET"}\n'
        "async def handler(req, ctx):\n    return {'status': 200, 'body': {}}\n"
    )
    (project / "steps" / "broken_step.py").write_text("def broken(:\n")
    out = tmp_path / "openapi.json"
    done = stephost("generate", "openapi", "--project", str(project), "-o", str(out))
    assert done.returncode == 1
    assert "steps/broken_step.py (python) did not load: SyntaxError" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("validated", [False, True], ids=["handlers check", "host checks"])
def test_schemathesis_finds_nothing_in_the_demo(tmp_path: Path, validated: bool) -> None:
    env = {"STEPHOST_VALIDATE_SCHEMAS": str(validated).lower()}
    host = HostProcess(DEMO, tmp_path / "host", None, env=env).wait_ready(6)
    try:
        secret = (tmp_path / "host" / "secret").read_text().strip()
        spec = httpx.get(
            host.url + "/__stephost/api/openapi.json", headers={"authorization": f"Bearer {secret}"}
        )
        (tmp_path / "spec.json").write_text(spec.text)
        if validated:  # docs/validation.md's example
            r = httpx.post(host.url + "/orders", json={"item": "book", "quantity": "two"})
            assert (r.status_code, r.json()["path"]) == (400, "$.quantity")
            assert r.json()["error"] == (
                "request body does not match the bodySchema of step 'create-order' at $.quantity: "
                "'two' is not of type 'integer'"
            )
        done = subprocess.run(
            [
                str(Path(STEPHOST[0]).parent / "schemathesis"),
                "run",
                str(tmp_path / "spec.json"),
                "--url",
                host.url,
                "--checks",
                "all",
                "--phases",
                "coverage,fuzzing,stateful",
                "--max-examples",
                "30",
                "--workers",
                "1",
                "--seed",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=540,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout[-6000:]
        assert "No issues found" in done.stdout
    finally:
        host.stop()
