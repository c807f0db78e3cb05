"""`stephost generate types`: types.d.ts in Motia's shape, checked by the real tsc, and Python
TypedDicts checked by mypy. The fixture (tests/typecheck/project) has steps in TypeScript,
Python and Ruby whose events cross languages, so a TypeScript step emitting to a Python
step's topic is type-checked against the Python step's pydantic input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stephost_host.generate.schema_types import PythonTypes, read, typescript
from tests.harness import ROOT, stephost

TYPECHECK = ROOT / "tests" / "typecheck"
FIXTURE = TYPECHECK / "project"
TSC = TYPECHECK / "node_modules" / "typescript" / "bin" / "tsc"
# A wrong line in tc-order's handler, and where (line) and how tsc must refuse it.
WRONG = {
    "wrong_data.step.ts": (
        "await emit({ topic: 'tc.ship', data: { id: req.body.id, qty: 'three' } })",
        "(4,",
        "error TS2322: Type 'string' is not assignable to type 'number'",
    ),
    "wrong_topic.step.ts": (
        "await emit({ topic: 'tc.nowhere', data: { id: req.body.id, qty: 1 } })",
        "(4,",
        "'\"tc.nowhere\"' is not assignable to type '\"tc.ship\"'",
    ),
    "wrong_status.step.ts": (
        "if (req.body.qty > 1) return { status: 500, body: { error: 'x' } }",
        "(3,",  # the handler as a whole does not fit Handlers['tc-order']
        "Type '500' is not assignable to type '400'",
    ),
}


def generate(project: Path, out: Path, *extra: str) -> None:
    done = stephost("generate", "types", str(project), "-o", str(out), *extra)
    assert done.returncode == 0, done.stderr


def tsc(folder: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    config = {"extends": str(TYPECHECK / "tsconfig.json"), "files": [str(f) for f in files]}
    (folder / "tsconfig.json").write_text(json.dumps(config))
    return subprocess.run(
        ["node", str(TSC), "-p", str(folder / "tsconfig.json")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("types")
    generate(FIXTURE, out / "types.d.ts", "--python-out", str(out / "stephost_types.py"))
    return out


def test_tsc_accepts_the_steps_and_rejects_wrong_emits_and_responses(generated: Path) -> None:
    steps = sorted((FIXTURE / "steps").glob("*.ts"))
    assert len(steps) == 3
    done = tsc(generated, [generated / "types.d.ts", *steps])
    assert done.returncode == 0, done.stdout + done.stderr
    for name, (line, where, error) in WRONG.items():
        (generated / name).write_text(
            "import { Handlers } from 'motia'\n\n"
            "export const handler: Handlers['tc-order'] = async (req, { emit }) => {\n"
            f"  {line}\n"
            "  return { status: 201, body: { id: req.body.id } }\n"
            "}\n"
        )
        done = tsc(generated, [generated / "types.d.ts", generated / name])
        assert done.returncode != 0, name
        assert f"{name}{where}" in done.stdout and error in done.stdout, done.stdout


def test_the_handlers_carry_each_steps_schemas_across_languages(generated: Path) -> None:
    text = (generated / "types.d.ts").read_text()
    assert text.count("declare module 'motia'") == 1
    handlers = text[text.index("export interface Handlers") :]
    assert '"tc-tick": CronHandler<{ topic: "tc.ship"; data: {' in handlers
    assert '"tc-report": ApiRouteHandler<any, ApiResponse<number, any>, never>' in handlers
    # tc.shipped has two subscribers (Ruby, TypeScript): its data must satisfy both inputs
    shipped = handlers[handlers.index('"tc-ship"') : handlers.index('"tc-tick"')]
    assert '"carrier": ("ups" | "dhl")' in shipped and " & {" in shipped
    assert '"tc-audit"' in handlers  # the Ruby step has its handler type too


def test_the_python_typeddicts_type_check_with_mypy(generated: Path) -> None:
    (generated / "use_types.py").write_text(
        "from stephost_types import TcAuditInput, TcShipInput\n\n"
        "ok: TcShipInput = {'id': 'a', 'qty': 1}\n"
        "audit: TcAuditInput = {'id': 'a', 'carrier': 'ups'}\n"
        "bad: TcShipInput = {'id': 'a', 'qty': 'three'}\n"
        "wrong: TcAuditInput = {'id': 'a', 'carrier': 'fedex'}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--strict", "use_types.py", "stephost_types.py"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=generated,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert [e.split(":")[1] for e in errors] == ["5", "6"], done.stdout


def test_existing_motia_typescript_compiles_against_its_generated_types(tmp_path: Path) -> None:
    mixed = ROOT / "tests" / "projects" / "mixed"
    generate(mixed, tmp_path / "types.d.ts")
    done = tsc(tmp_path, [tmp_path / "types.d.ts", *sorted((mixed / "steps").glob("*.ts"))])
    assert done.returncode == 0, done.stdout + done.stderr


def test_json_schema_reads_as_one_type_for_both_languages() -> None:
    schema = {
        "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}},
            "size": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "kind": {"enum": ["a", "b"]},
            "meta": {"type": "object", "additionalProperties": {"type": "number"}},
            "node": {"$ref": "#/$defs/node"},
            "first-name": {"type": "string"},
        },
        "required": ["tags"],
    }
    t = read(schema)
    ts = typescript(t)
    assert '"tags": Array<string>' in ts and '"size"?: (number | null)' in ts
    assert '"kind"?: ("a" | "b")' in ts and "[key: string]: number" in ts
    assert '"node"?: {\n    "next"?: any\n  }' in ts  # the cycle ends in any
    types = PythonTypes()
    types.define("Thing", t)
    module = "\n".join(types.definitions)
    assert "'first-name': NotRequired[str]" in module
    assert "'tags': list[str]" in module and "'size': NotRequired[int | None]" in module
    assert "'meta': NotRequired[dict[str, float]]" in module
    assert "ThingNode = TypedDict('ThingNode', {'next': NotRequired[Any]})" in module
