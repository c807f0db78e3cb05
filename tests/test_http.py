"""HTTP details a client depends on."""

from __future__ import annotations

from typing import Any

from tests.harness import ROOT

TICKER = ROOT / "bench" / "projects" / "streams"


def test_no_content_responses_carry_no_body(start_host: Any) -> None:
    host = start_host(TICKER, live_steps=2)
    with host.client() as http:
        r = http.post("/tick/g/i", json={})
        assert r.status_code == 204 and r.content == b""
        assert r.headers["x-trace-id"]


def test_unknown_routes_also_carry_a_trace_id(start_host: Any) -> None:
    host = start_host(TICKER, live_steps=2)
    with host.client() as http:
        r = http.get("/nowhere")
        assert r.status_code == 404 and r.headers["x-trace-id"]
