"""Steps in Python, TypeScript, JavaScript and Ruby in one flow, one trace id throughout.

Written with the Python testing helper (``stephost.testing``), as a project's own tests
would be: one host for the module, ``wait_events`` instead of polling the outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from stephost.testing import Tester
from tests.harness import ROOT

MIXED = ROOT / "tests" / "projects" / "mixed"


@pytest.fixture(scope="module")
def mixed() -> Iterator[Tester]:
    tester = Tester(MIXED).start_sync()
    yield tester
    tester.close_sync()


async def _flow(tester: Tester, path: str) -> tuple[str, list[dict[str, str]]]:
    item = uuid.uuid4().hex[:8]
    r = await tester.post(path, body={"id": item})
    assert r.status == 202, r.body
    await tester.wait_events()
    seen = await tester.get(f"/mixed/{item}")
    return r.headers["x-trace-id"], seen.body


async def test_every_language_serves_its_steps(mixed: Tester) -> None:
    # The step list is open to `stephost dev` on loopback, which is what the tester runs.
    steps = {s["name"]: s for s in (await mixed.get("/__stephost/steps")).body}
    assert {steps[n]["language"] for n in ("mixed-ts-api", "mixed-js-a", "mixed-ts-b")} == {"node"}
    assert steps["mixed-rb-b"]["language"] == "ruby"
    assert steps["mixed-py-a"]["language"] == "python"


async def test_typescript_api_to_python_to_javascript(mixed: Tester) -> None:
    trace, seen = await _flow(mixed, "/mixed/a")
    assert [s["lang"] for s in seen] == ["typescript", "python", "javascript"]
    assert {s["traceId"] for s in seen} == {trace}


async def test_python_api_to_ruby_to_typescript_to_python(mixed: Tester) -> None:
    trace, seen = await _flow(mixed, "/mixed/b")
    assert [s["lang"] for s in seen] == ["python", "ruby", "typescript", "python"]
    assert {s["traceId"] for s in seen} == {trace}
