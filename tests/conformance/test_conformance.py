"""One set of assertions, run against the same fixture project in every language.

See README.md beside this file for what each fixture step does. Each language gets a
real host (with its real sidecar, started by the host's supervisor) on its own NATS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import HostProcess, NatsServer, eventually

HERE = Path(__file__).parent
LANGUAGES = ["python", "node", "ruby"]
FIXTURE_STEPS = 25  # 17 + the HTTP-bodies steps (test_http_bodies.py) + conf-incr


@pytest.fixture(scope="module", params=LANGUAGES)
def host(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp = tmp_path_factory.mktemp(f"conf-{request.param}")
    nats = NatsServer(tmp / "nats")
    # stream_schema=reject: conf-streams checks that every language's handler sees the refusal.
    proc = HostProcess(HERE / request.param, tmp / "host", nats.url, env={"STEPHOST_STREAM_SCHEMA": "reject"})
    try:
        yield proc.wait_ready(live_steps=FIXTURE_STEPS)
    finally:
        proc.stop()
        nats.stop()


@pytest.fixture
def http(host: HostProcess) -> Iterator[httpx.Client]:
    with host.client() as client:
        yield client


def language_of(host: HostProcess) -> str:
    return host.project.name


def uid() -> str:
    return uuid.uuid4().hex[:10]


def dead_letters(host: HostProcess, step: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{host.url}/__stephost/dlq",
        params={"step": step},
        headers={"authorization": f"Bearer {host.secret}"},
        timeout=10,
    )
    r.raise_for_status()
    return list(r.json())


def test_every_step_registers_and_broken_file_is_reported(host: HostProcess) -> None:
    steps = host.steps()
    expected = {
        "conf-echo",
        "conf-emit",
        "conf-record",
        "conf-state",
        "conf-read",
        "conf-flaky",
        "conf-doomed",
        "conf-slow",
        "conf-boom",
        "conf-guarded",
        "conf-tick",
        "conf-noop",
        "conf-typed",
        "conf-streams",
        "conf-ctx",
        "conf-ctx-event",
        "conf-incr",
    }
    assert expected <= set(steps)
    assert all(steps[name]["live"] for name in expected)
    assert {s["language"] for s in steps.values()} == {language_of(host)}
    assert steps["conf-noop"]["type"] == "noop"
    assert "conf-broken" not in steps
    log = host.log()
    assert "could not load steps/broken" in log, log[-2000:]


def test_echo_path_query_headers_and_trace(http: httpx.Client, host: HostProcess) -> None:
    r = http.post("/echo/abc?a=1&a=2&b=x", json={"n": 1}, headers={"x-test": "hi"})
    assert r.status_code == 200, r.text
    assert r.headers["x-echo"] == "yes"
    body = r.json()
    assert body == {
        "id": "abc",
        "body": {"n": 1},
        "query": {"a": ["1", "2"], "b": "x"},
        "header": "hi",
        "traceId": r.headers["x-trace-id"],
        "language": language_of(host),
    }


def test_emit_reaches_event_step_with_the_same_trace(http: httpx.Client) -> None:
    key = uid()
    r = http.post("/emit/note", json={"key": key, "value": 7})
    assert r.status_code == 202 and r.json() == {"ok": True}
    trace = r.headers["x-trace-id"]
    stored = eventually(lambda: http.get(f"/state/conf/{key}").json(), what="conf-record to store the note")
    assert stored == {"value": 7, "traceId": trace}


def test_every_state_method(http: httpx.Client) -> None:
    value = {"deep": [1, "x", None, {"y": True}]}
    r = http.post(f"/state/g-{uid()}", json={"key": "k/with spaces.and*dots", "value": value})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "set": value,
        "get": value,
        "group": [value],
        "deleted": value,
        "afterDelete": None,
        "afterClear": [],
    }


def test_missing_state_reads_as_null(http: httpx.Client) -> None:
    r = http.get(f"/state/nothing-{uid()}/nope")
    assert r.status_code == 200 and r.json() is None


def test_failed_event_is_retried_then_succeeds(http: httpx.Client) -> None:
    key = uid()
    assert http.post("/emit/flaky", json={"id": key}).status_code == 202
    result = eventually(lambda: http.get(f"/state/conf/flaky-{key}").json(), what="flaky step to succeed")
    assert result == {"attempts": 2}


def test_exhausted_retries_go_to_dead_letters(http: httpx.Client, host: HostProcess) -> None:
    key = uid()
    r = http.post("/emit/doomed", json={"id": key})
    assert r.status_code == 202
    trace = r.headers["x-trace-id"]

    def letter() -> dict[str, Any] | None:
        return next((d for d in dead_letters(host, "conf-doomed") if d["data"]["id"] == key), None)

    dead = eventually(letter, what="the doomed event in dead letters")
    assert dead["step"] == "conf-doomed" and dead["topic"] == "conf.doomed"
    assert dead["attempts"] == 2  # maxRetries 1 = one retry after the first attempt
    assert dead["traceId"] == trace
    assert dead["error"]["message"] == f"doomed: {key}"
    assert dead["error"]["type"] and dead["error"]["stack"]


def test_slow_handler_times_out_with_504(http: httpx.Client) -> None:
    r = http.get("/slow")
    assert r.status_code == 504
    assert "timed out" in r.json()["error"]


def test_raising_handler_gives_500_with_error_id(http: httpx.Client, host: HostProcess) -> None:
    r = http.get("/boom")
    assert r.status_code == 500
    body = r.json()
    assert body["error"] == "Internal Server Error" and body["traceId"] == r.headers["x-trace-id"]
    eventually(
        lambda: body["errorId"] in host.log() and "boom" in host.log(), what="error id in the host log"
    )


def test_middleware_short_circuits_and_decorates(http: httpx.Client) -> None:
    denied = http.get("/guarded")
    assert denied.status_code == 401 and denied.json() == {"error": "no token"}
    allowed = http.get("/guarded", headers={"x-token": "ok"})
    assert allowed.status_code == 200 and allowed.json() == {"user": "ok-user"}
    assert allowed.headers["x-mw"] == "stamped"


def test_cron_fires_every_second(http: httpx.Client) -> None:
    first = eventually(lambda: http.get("/state/conf/ticks").json(), what="a first cron tick")
    eventually(lambda: http.get("/state/conf/ticks").json() > first, what="a later cron tick")


def test_every_stream_method(http: httpx.Client) -> None:
    group = f"g-{uid()}"
    r = http.post(f"/streams/{group}", json={"id": "i1", "title": "write tests"})
    assert r.status_code == 200, r.text
    body = r.json()
    item = {"title": "write tests", "id": "i1"}
    assert body["set"] == item and body["get"] == item and body["group"] == [item]
    assert body["deleted"] == item and body["afterDelete"] is None
    # The stream's schema (JSON Schema, or zod turned into it) rejects an item without a title.
    assert "does not match its schema" in body["invalid"] and "title" in body["invalid"]


def test_non_retryable_error_goes_straight_to_dead_letters(http: httpx.Client, host: HostProcess) -> None:
    key = uid()
    assert http.post("/emit/typed", json={"id": key, "mode": "fatal"}).status_code == 202

    def letter() -> dict[str, Any] | None:
        return next((d for d in dead_letters(host, "conf-typed") if d["data"]["id"] == key), None)

    dead = eventually(letter, what="the fatal event in dead letters")
    assert dead["attempts"] == 1  # maxRetries is 3, but the handler said a retry cannot help
    assert dead["error"]["type"] == "NonRetryableError" and dead["error"]["message"] == f"fatal: {key}"


def test_retryable_error_schedules_the_next_attempt_after_its_delay(http: httpx.Client) -> None:
    key = uid()
    assert http.post("/emit/typed", json={"id": key, "mode": "later"}).status_code == 202
    done = eventually(lambda: http.get(f"/state/conf/typed-{key}").json(), what="the second attempt")
    assert done["attempts"] == 2
    assert done["waited"] >= 0.9  # retryAfter: 1 s (the default backoff base here is 0.2 s)


def test_ctx_surface_in_api_and_event_steps(http: httpx.Client, host: HostProcess) -> None:
    r = http.get("/ctx")
    assert r.status_code == 200, r.text
    trace = r.headers["x-trace-id"]
    assert r.json() == {
        "step": "conf-ctx",
        "topic": None,
        "traceId": trace,
        "attempt": 1,
        "flows": ["conformance"],
    }

    def recorded() -> dict[str, Any] | None:
        value = http.get("/state/conf-ctx/event").json()
        return value if value and value["traceId"] == trace else None

    seen = eventually(recorded, what="conf-ctx-event to record its ctx")
    assert seen == {
        "step": "conf-ctx-event",
        "topic": "conf.ctx",
        "traceId": trace,
        "attempt": 1,
        "flows": ["conformance", "ctx"],
    }
    # logger.child(fields): every record carries the child's fields beside the call's own.
    lang = f'lang="{language_of(host)}"'
    for probe in ("api", "event"):
        eventually(
            lambda probe=probe: host.log_lines("ctx probe", f'probe="{probe}"', lang, trace),
            what=f"the {probe} step's ctx probe record in the host log",
        )
