"""``ctx.traceparent`` in Python, TypeScript and Ruby handlers on a real host: the W3C trace
context naming the invocation's own span (the one the host records), so a handler's outgoing
calls continue the trace. A trace id with no W3C form (any ``x-trace-id`` text) gives ""."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stephost_host.observe import parse_traceparent
from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "traceparent"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = "00f067aa0ba902b7"
LANGUAGES = ("python", "node", "ruby")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp = tmp_path_factory.mktemp("traceparent")
    server = NatsServer(tmp / "nats")
    running = HostProcess(PROJECT, tmp / "host", server.url).wait_ready(len(LANGUAGES))
    yield running
    running.stop()
    server.stop()


def _recorded_span(host: HostProcess, trace: str, step: str) -> dict[str, Any] | None:
    r = httpx.get(
        f"{host.url}/__stephost/traces/{trace}",
        headers={"authorization": f"Bearer {host.secret}"},
        timeout=30,
    )
    items = r.json()["items"] if r.status_code == 200 else []
    return next((s for s in items if s["step"] == step), None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_handler_sees_its_own_span_as_traceparent(host: HostProcess, language: str) -> None:
    trace = TRACE[:-1] + str(LANGUAGES.index(language))  # one trace per language
    r = httpx.get(f"{host.url}/tp/{language}", headers={"traceparent": f"00-{trace}-{CALLER}-01"}, timeout=30)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["traceId"] == trace
    got = parse_traceparent(seen["traceparent"])
    assert got is not None and got[0] == trace and got[1] != CALLER, seen
    assert seen["traceparent"].endswith("-01")
    span = eventually(lambda: _recorded_span(host, trace, f"tp-{language}"), timeout=60, what="the span")
    assert span is not None and span["span"] == got[1] and span["parent"] == CALLER


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_trace_id_of_any_text_has_no_traceparent(host: HostProcess, language: str) -> None:
    r = httpx.get(f"{host.url}/tp/{language}", headers={"x-trace-id": "order-42"}, timeout=30)
    assert r.json() == {"traceparent": "", "traceId": "order-42"}
