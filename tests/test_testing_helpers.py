"""The testing helpers of every language, run the way a project runs them.

Each case copies a small project to a temp folder and runs its own tests there with the
language's test runner (pytest with the ``stephost_tester`` fixture, ``node --test`` with
``require('stephost/testing')``, ``ruby`` with the minitest helper), each against a real host
the helper starts. The same project with one expectation changed must fail, so the helpers
can fail. The testing endpoints themselves are off unless a host is asked for them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost.testing import create_mock_context, create_tester
from stephost_host.config import Settings
from stephost_host.http.admin import build_admin
from stephost_host.router.registry import Registry
from tests.harness import ROOT

PROJECTS = ROOT / "tests" / "projects"
TIMEOUT = 100  # seconds for one inner run: start a host, three tests, stop it


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "STEPHOST_"))}
    # How the Node and Ruby testers start a host: this checkout's stephost.
    env["STEPHOST_COMMAND"] = f"{sys.executable} -m stephost_host"
    return env


def _copy(tmp_path: Path, project: str, check: str, test: str, wrong: str, right: str) -> tuple[Path, Path]:
    """Two copies of the project: its tests as written, and with one expectation wrong."""
    dirs = []
    for variant, expected in (("right", right), ("wrong", wrong)):
        target = tmp_path / variant
        shutil.copytree(PROJECTS / project, target)
        source = (target / check).read_text()
        assert right in source
        (target / test).write_text(source.replace(right, expected))
        if project == "testing_node":  # resolves `stephost` like an installed package
            (target / "node_modules").mkdir(exist_ok=True)
            (target / "node_modules" / "stephost").symlink_to(ROOT / "sidecars" / "node")
        dirs.append(target)
    return dirs[0], dirs[1]


def _run_both(cmd: list[str], right: Path, wrong: Path) -> tuple[Any, Any]:
    """Both variants at once (each starts its own host), bounded in time."""
    procs = [
        subprocess.Popen(cmd, cwd=d, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for d in (right, wrong)
    ]
    results = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            pytest.fail(f"{cmd} did not finish in {TIMEOUT}s:\n{out}")
        results.append((p.returncode, out))
    return results[0], results[1]


def test_pytest_fixture_runs_a_projects_tests(tmp_path: Path) -> None:
    right, wrong = _copy(
        tmp_path,
        "testing_python",
        "check_orders.py",
        "test_orders.py",
        'EXPECTED = "lost"',
        'EXPECTED = "shipped"',
    )
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_orders.py"]
    (ok_code, ok_out), (bad_code, bad_out) = _run_both(cmd, right, wrong)
    assert ok_code == 0 and "3 passed" in ok_out, ok_out
    assert bad_code == 1 and "1 failed, 2 passed" in bad_out, bad_out
    assert "test_an_order_is_shipped" in bad_out and "'lost'" in bad_out


def test_node_testing_module_runs_under_node_test(tmp_path: Path) -> None:
    right, wrong = _copy(
        tmp_path,
        "testing_node",
        "orders.check.js",
        "orders.test.js",
        "EXPECTED = 'lost'",
        "EXPECTED = 'shipped'",
    )
    (ok_code, ok_out), (bad_code, bad_out) = _run_both(["node", "--test", "orders.test.js"], right, wrong)
    assert ok_code == 0 and "# pass 3" in ok_out and "# fail 0" in ok_out, ok_out
    assert bad_code != 0 and "# pass 2" in bad_out and "# fail 1" in bad_out, bad_out
    assert "not ok 1 - an order is shipped" in bad_out


def test_ruby_minitest_helper_runs_a_projects_tests(tmp_path: Path) -> None:
    right, wrong = _copy(
        tmp_path,
        "testing_ruby",
        "orders_check.rb",
        "orders_test.rb",
        'EXPECTED = "lost"',
        'EXPECTED = "shipped"',
    )
    cmd = ["ruby", "-I", str(ROOT / "sidecars" / "ruby" / "lib"), "orders_test.rb"]
    (ok_code, ok_out), (bad_code, bad_out) = _run_both(cmd, right, wrong)
    assert ok_code == 0 and "3 runs, 9 assertions, 0 failures, 0 errors" in ok_out, ok_out
    assert bad_code != 0 and "1 failures, 0 errors" in bad_out, bad_out
    assert "test_an_order_is_shipped" in bad_out


async def test_testing_endpoints_are_off_unless_asked_for() -> None:
    """A host's admin app has no /testing routes unless the setting asks for them."""
    assert Settings().testing_endpoints is False
    # Routing only: the other areas' stores are never called here.
    admin = build_admin(Registry(), None, "s3cret", None, None)  # type: ignore[arg-type]
    auth = {"authorization": "Bearer s3cret"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://h") as http:
        assert (await http.get("/__stephost/testing/idle", headers=auth)).status_code == 404
        r = await http.post("/__stephost/testing/emit", json={"topic": "t", "data": {}}, headers=auth)
        assert r.status_code == 404
        assert (await http.get("/__stephost/testing/idle")).status_code == 401  # the secret first


async def test_wait_events_waits_for_retries_and_endpoints_need_the_secret() -> None:
    tester = await create_tester(PROJECTS / "testing_python")
    try:
        done = await tester.watch("flaky.done")
        receipt = await tester.emit("flaky.go", {"id": "f-1"}, trace_id="trace-f-1")
        assert receipt["traceId"] == "trace-f-1"
        await tester.wait_events()  # the first attempt fails; the retry comes after a backoff
        assert done.captured_events() == [
            {"topic": "flaky.done", "data": {"id": "f-1", "attempt": 2}, "traceId": "trace-f-1"}
        ]

        auth = {"authorization": f"Bearer {tester.secret}"}
        assert (await tester.get("/__stephost/testing/idle")).status == 401
        assert (await tester.post("/__stephost/testing/emit", body={"topic": "x"})).status == 401
        ok = await tester.get("/__stephost/testing/idle", headers=auth)
        assert ok.status == 200 and ok.body == {"idle": True, "pending": 0}
        bad = await tester.post("/__stephost/testing/emit", body={"topic": "", "data": {}}, headers=auth)
        assert bad.status == 400 and "topic" in bad.body["error"]
    finally:
        await tester.close()


def test_the_mock_context_serves_a_plain_def_handler() -> None:
    """Called with no event loop in the thread, the mock's methods return values (no awaiting)."""

    def handler(data: dict[str, Any], ctx: Any) -> None:
        seen = ctx.state.get("orders", data["id"]) or []
        ctx.state.set("orders", data["id"], [*seen, ctx.trace_id])
        ctx.streams.todo.set("u1", data["id"], {"text": "x"})
        ctx.emit({"topic": "order.seen", "data": data})
        ctx.logger.child({"order": data["id"]}).warn("seen")

    ctx = create_mock_context(trace_id="t-1", flows=["orders"])
    handler({"id": "o-1"}, ctx)
    handler({"id": "o-1"}, ctx)
    assert ctx.state.get("orders", "o-1") == ["t-1", "t-1"]
    assert ctx.streams.todo.get_group("u1") == [{"text": "x", "id": "o-1"}]
    assert ctx.emit.calls == [{"topic": "order.seen", "data": {"id": "o-1"}}] * 2
    assert ctx.logger.calls == [("warn", "seen", {"order": "o-1"})] * 2
    assert (ctx.traceId, ctx.flows, ctx.attempt) == ("t-1", ["orders"], 1)
    with pytest.raises(ValueError, match="non-empty 'topic'"):
        ctx.emit({"data": {}})


async def test_the_mock_context_serves_an_async_handler() -> None:
    ctx = create_mock_context()
    value = {"items": [1]}
    await ctx.state.set("g", "k", value)
    value["items"].append(2)  # stored as a copy, like JSON on the wire
    assert await ctx.state.get("g", "k") == {"items": [1]}
    assert await ctx.state.get_group("g") == [{"items": [1]}]
    await ctx.state.clear("g")
    assert await ctx.state.get("g", "k") is None
    await ctx.emit({"topic": "t", "data": 1})
    assert ctx.emit.calls == [{"topic": "t", "data": 1}]
