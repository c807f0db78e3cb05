"""Every bad input over HTTP gets an exact answer: JSON with the trace id, the status the log
records, and never an invalid body. One real host (JSON logs) serves every test here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "bad_input"
API_STEPS = 5  # every step in the project but the refused cron step
MAX_JSON_DEPTH = 256  # the documented limit (README, HTTP)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp: Path = tmp_path_factory.mktemp("bad_input")
    nats = NatsServer(tmp / "nats")
    proc = HostProcess(PROJECT, tmp / "host", nats.url, args=["--log-format", "json"])
    try:
        yield proc.wait_ready(API_STEPS)
    finally:
        proc.stop()
        nats.stop()


@pytest.fixture
def http(host: HostProcess) -> Iterator[httpx.Client]:
    with host.client() as client:
        yield client


def records(host: HostProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in host.log().splitlines() if line.startswith("{")]


def assert_json_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["traceId"] == r.headers["x-trace-id"]
    return body


def access_status(host: HostProcess, trace_id: str) -> int:
    """The status the host's one line for this request says it sent."""

    def line() -> dict[str, Any] | None:
        return next((r for r in records(host) if r.get("trace_id") == trace_id and " -> " in r["msg"]), None)

    return int(eventually(line, what=f"the access line of {trace_id}")["msg"].split(" -> ")[1].split()[0])


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# -- 1. depth ---------------------------------------------------------------------------


def test_json_deeper_than_the_limit_is_a_400_naming_the_limit(host: HostProcess, http: httpx.Client) -> None:
    for depth in (MAX_JSON_DEPTH + 1, 100_000):  # just over; and deep enough to blow Python's stack
        r = http.post("/echo", content=nested(depth), headers={"content-type": "application/json"})
        body = assert_json_error(r, 400)
        assert f"nested {depth} levels deep; at most {MAX_JSON_DEPTH}" in body["error"]
        assert access_status(host, body["traceId"]) == 400


def test_json_at_the_limit_is_served(http: httpx.Client) -> None:
    r = http.post("/echo", content=nested(MAX_JSON_DEPTH), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.text == nested(MAX_JSON_DEPTH)
    # Brackets inside strings are text, not nesting.
    text = json.dumps({"s": "[" * 1000})
    assert http.post("/echo", content=text).json() == {"s": "[" * 1000}


# -- 2. NaN / Infinity ------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_request_body_are_refused(http: httpx.Client, literal: str) -> None:
    r = http.post("/echo", content=f'{{"x": [1, {literal}]}}')
    body = assert_json_error(r, 400)
    assert f"{literal} is not JSON" in body["error"]


def test_a_number_too_large_for_a_float_is_refused(http: httpx.Client) -> None:
    body = assert_json_error(http.post("/echo", content='{"x": 1e999}'), 400)
    assert "1e999 is too large" in body["error"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_handler_answering_nan_gets_a_500_with_an_error_id(
    host: HostProcess, http: httpx.Client, value: str
) -> None:
    r = http.get(f"/not-json/{value}")
    body = assert_json_error(r, 500)  # a valid JSON body, never {"value":NaN}
    assert body["error"] == "Internal Server Error" and body["errorId"]
    assert access_status(host, body["traceId"]) == 500
    logged = eventually(lambda: [x for x in records(host) if body["errorId"] in x["msg"]])
    assert "response cannot be sent" in logged[0]["msg"] and logged[0]["step"] == "not-json"


# -- 3. response headers ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["not-latin1", "crlf-value", "crlf-name"])
def test_a_bad_response_header_gets_a_json_500_and_the_log_says_500(
    host: HostProcess, http: httpx.Client, kind: str
) -> None:
    r = http.get(f"/bad-header/{kind}")
    body = assert_json_error(r, 500)
    assert body["errorId"] and "set-cookie" not in r.headers
    assert access_status(host, body["traceId"]) == 500


# -- 4. HEAD ----------------------------------------------------------------------------


def test_head_is_served_for_get_routes_with_the_same_headers_and_no_body(
    host: HostProcess, http: httpx.Client
) -> None:
    get = http.get("/fetch/42")
    head = http.head("/fetch/42")
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "x-kind"):
        assert head.headers[name] == get.headers[name], name
    assert access_status(host, head.headers["x-trace-id"]) == 200


def test_head_where_no_get_route_is_a_405(http: httpx.Client) -> None:
    r = http.head("/echo")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.content == b""
    # A GET path lists HEAD among the methods it allows.
    r = http.delete("/fetch/1")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


# -- 5. cron ----------------------------------------------------------------------------


def test_a_cron_that_never_fires_is_refused_naming_file_and_expression(host: HostProcess) -> None:
    assert "never" not in host.steps()
    wanted = (
        "steps/never_cron_step.py: invalid config for step 'never': "
        "field 'cron' = \"0 0 30 2 *\": never fires"
    )
    eventually(lambda: [r for r in records(host) if wanted in r["msg"]], what=wanted)


# -- 6. JSON logs -----------------------------------------------------------------------


def test_user_log_fields_cannot_overwrite_what_the_host_writes(host: HostProcess, http: httpx.Client) -> None:
    trace = http.get("/spoof-log").headers["x-trace-id"]

    def line() -> dict[str, Any] | None:
        return next((r for r in records(host) if r["msg"] == "spoof attempt"), None)

    rec = eventually(line, what="the handler's log line")
    assert (rec["level"], rec["step"], rec["trace_id"]) == ("info", "spoof-log", trace)
    assert rec["time"].endswith("Z") and len(rec["time"]) == len("2026-11-30T03:20:12.123Z")
    assert rec["user"] == "u1"  # fields without a clash stay where they were
    assert rec["fields"] == {
        "level": "hacked",
        "step": "NotMe",
        "trace_id": "fake",
        "msg": "other",
        "time": 0,
    }
