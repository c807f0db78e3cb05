"""Steps in Python, TypeScript, JavaScript and Ruby in one flow, one trace id throughout."""

from __future__ import annotations

import uuid
from typing import Any

from tests.harness import ROOT, eventually

MIXED = ROOT / "tests" / "projects" / "mixed"
STEPS = 8


def _flow(host: Any, path: str, hops: int) -> tuple[str, list[dict[str, str]]]:
    item = uuid.uuid4().hex[:8]
    with host.client() as http:
        r = http.post(path, json={"id": item})
        assert r.status_code == 202, r.text

        def done() -> list[dict[str, str]] | None:
            seen = http.get(f"/mixed/{item}").json()
            return seen if seen and len(seen) == hops else None

        return r.headers["x-trace-id"], eventually(done, what=f"{hops} hops of {path}")


def test_every_language_serves_its_steps(start_host: Any) -> None:
    host = start_host(MIXED, live_steps=STEPS)
    steps = host.steps()
    assert {steps[n]["language"] for n in ("mixed-ts-api", "mixed-js-a", "mixed-ts-b")} == {"node"}
    assert steps["mixed-rb-b"]["language"] == "ruby"
    assert steps["mixed-py-a"]["language"] == "python"


def test_typescript_api_to_python_to_javascript(start_host: Any) -> None:
    host = start_host(MIXED, live_steps=STEPS)
    trace, seen = _flow(host, "/mixed/a", 3)
    assert [s["lang"] for s in seen] == ["typescript", "python", "javascript"]
    assert {s["traceId"] for s in seen} == {trace}


def test_python_api_to_ruby_to_typescript_to_python(start_host: Any) -> None:
    host = start_host(MIXED, live_steps=STEPS)
    trace, seen = _flow(host, "/mixed/b", 4)
    assert [s["lang"] for s in seen] == ["python", "ruby", "typescript", "python"]
    assert {s["traceId"] for s in seen} == {trace}
