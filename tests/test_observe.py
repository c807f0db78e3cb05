"""observe/ and the Workbench's admin APIs on a real host (NATS, Python/Node/Ruby sidecars):
a span per invocation linked parent to child across languages, W3C traceparent honoured on
HTTP and on the gRPC ingress, logs kept and tailed live, /metrics behind the secret, state
read and written through the same rules as handlers, and the recorder's bound."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from stephost_host.errors import StepFailed
from stephost_host.observe import Recorder, Span, parse_traceparent, traceparent
from stephost_host.observe.recorder import _record, encode
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "workbench"
STEPS = 7
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp = tmp_path_factory.mktemp("observe")
    server = NatsServer(tmp / "nats")
    running = HostProcess(PROJECT, tmp / "host", server.url).wait_ready(STEPS)
    yield running
    running.stop()
    server.stop()


def admin(host: HostProcess) -> httpx.Client:
    return httpx.Client(base_url=host.url, headers={"authorization": f"Bearer {host.secret}"}, timeout=30)


def spans_of(host: HostProcess, trace_id: str, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        r = admin(host).get(f"/__stephost/traces/{trace_id}")
        items = r.json()["items"] if r.status_code == 200 else []
        return items if len(items) >= count else None

    return eventually(enough, timeout=60, what=f"{count} spans of trace {trace_id}")


def test_traceparent_unit() -> None:
    assert parse_traceparent(f"00-{TRACE}-{CALLER}-01") == (TRACE, CALLER)
    assert parse_traceparent(f"00-{TRACE.upper()}-{CALLER}-00") == (TRACE, CALLER)
    for bad in ("", "garbage", f"00-{'0' * 32}-{CALLER}-01", f"00-{TRACE}-{'0' * 16}-01", f"01-{TRACE}-x-01"):
        assert parse_traceparent(bad) is None, bad
    assert traceparent(TRACE, CALLER) == f"00-{TRACE}-{CALLER}-01"
    assert traceparent("order-42", CALLER) == ""  # an x-trace-id of any text has no W3C form


def test_an_http_traceparent_continues_through_every_language(host: HostProcess) -> None:
    r = httpx.post(
        host.url + "/shop/orders",
        json={"item": "pen", "quantity": 1},
        headers={"traceparent": f"00-{TRACE}-{CALLER}-01"},
    )
    assert r.status_code == 201 and r.headers["x-trace-id"] == TRACE
    spans = {s["step"]: s for s in spans_of(host, TRACE, 3)}
    api, ts, rb = spans["place-order"], spans["check-stock"], spans["ship-order"]
    assert (api["language"], ts["language"], rb["language"]) == ("python", "node", "ruby")
    # Parent to child: the caller's span, then each emitting invocation's.
    assert api["parent"] == CALLER and ts["parent"] == api["span"] and rb["parent"] == ts["span"]
    assert api["cause"] == "http" and ts["cause"] == "event" and ts["topic"] == "shop.order.placed"
    assert api["emits"] == ["shop.order.placed"] and ts["emits"] == ["shop.order.checked"]
    assert all(s["outcome"] == "ok" and s["attempt"] == 1 and s["ms"] > 0 for s in spans.values())
    listed = admin(host).get("/__stephost/traces", params={"step": "ship-order"}).json()
    mine = next(t for t in listed if t["trace"] == TRACE)
    assert mine["root"] == "place-order" and mine["languages"] == ["node", "python", "ruby"]


def test_x_trace_id_still_names_the_trace(host: HostProcess) -> None:
    r = httpx.post(
        host.url + "/shop/orders", json={"item": "cup", "quantity": 2}, headers={"x-trace-id": "order-cup"}
    )
    assert r.headers["x-trace-id"] == "order-cup"
    spans = spans_of(host, "order-cup", 3)
    root = next(s for s in spans if s["step"] == "place-order")
    assert root["parent"] == ""  # no W3C caller


def test_an_ingress_traceparent_is_the_parent_of_the_handlers(host: HostProcess) -> None:
    trace, caller = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    with grpc.insecure_channel(str(host.info["ingress"])) as channel:
        receipt = pb_grpc.IngressStub(channel).Emit(
            pb.EmitRequest(topic="shop.order.placed", data_json=json.dumps({"id": "ingress-1"})),
            metadata=[("traceparent", f"00-{trace}-{caller}-01")],
            timeout=30,
        )
    assert receipt.trace_id == trace
    spans = {s["step"]: s for s in spans_of(host, trace, 2)}
    assert spans["check-stock"]["parent"] == caller
    assert spans["ship-order"]["parent"] == spans["check-stock"]["span"]


def test_failures_and_their_stack_are_on_the_span(host: HostProcess) -> None:
    r = httpx.post(
        host.url + "/shop/refunds", json={"id": "observe-r"}, headers={"x-trace-id": "refund-trace"}
    )
    assert r.status_code == 202
    failed = next(s for s in spans_of(host, "refund-trace", 2) if s["step"] == "refund")
    assert failed["outcome"] == "error" and failed["error"]["type"] == "RuntimeError"
    assert "cannot be paid yet" in failed["error"]["message"] and "refund_step.py" in failed["error"]["stack"]


def test_logs_are_kept_and_tailed_live(host: HostProcess) -> None:
    client = admin(host)
    with client.stream("GET", "/__stephost/logs/live") as live:
        assert live.headers["content-type"].startswith("text/event-stream")
        lines = live.iter_lines()
        assert next(lines).startswith(": keep-alive")
        httpx.post(host.url + "/shop/orders", json={"item": "tail", "quantity": 9})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = next(lines)
            # An event is a batch of records, as the recorder published it.
            batch = json.loads(line[6:])["logs"] if line.startswith("data: ") else []
            mine = [r for r in batch if r.get("fields") == {"orderId": "tail-9"}]
            if mine:
                record = mine[0]
                break
        else:
            pytest.fail("the handler's log line never came through the live tail")
    assert (
        record["step"] == "place-order" and record["language"] == "python" and record["msg"] == "order placed"
    )
    kept = eventually(
        lambda: [
            r for r in client.get("/__stephost/logs").json() if r.get("fields") == {"orderId": "tail-9"}
        ],
        what="the kept log record",
    )
    assert kept[0]["trace"] == record["trace"]


def test_metrics_need_the_secret_and_count_invocations(host: HostProcess) -> None:
    assert httpx.get(host.url + "/__stephost/metrics").status_code == 401
    httpx.get(host.url + "/shop/greeting")

    def counted() -> str:
        text = admin(host).get("/__stephost/metrics").text
        assert 'stephost_invocations_total{language="python",outcome="ok",step="greeting"}' in text
        return text

    text = eventually(counted, what="the greeting step in /metrics")
    assert "stephost_invocation_duration_seconds_bucket" in text
    assert "stephost_observe_dropped_total 0.0" in text and "stephost_observe_queue_depth" in text
    assert "stephost_sidecars_connected 3.0" in text  # python, node, ruby
    # Read from JetStream at scrape time: every event step's consumer, dead letters per step.
    assert 'stephost_consumer_backlog{step="ship-order",topic="shop.order.checked"}' in text
    assert 'stephost_consumer_ack_pending{step="check-stock",topic="shop.order.placed"}' in text

    # HTTP by route pattern (the step's path), and the stream clients (none connected here).
    assert (
        'stephost_http_request_duration_seconds_count{method="GET",route="/shop/greeting",status="200"}'
        in text
    )
    assert "stephost_stream_clients 0.0" in text


def test_metrics_count_dead_letters_per_step(host: HostProcess) -> None:
    assert httpx.post(host.url + "/shop/refunds", json={"id": "metrics-r"}).status_code == 202

    def dead() -> float:
        text = admin(host).get("/__stephost/metrics").text
        line = next(
            (x for x in text.splitlines() if x.startswith('stephost_dead_letters{step="refund"}')), ""
        )
        return float(line.split()[-1]) if line else 0.0

    assert eventually(dead, timeout=60, what="a dead letter of refund in /metrics") >= 1


def test_flows_show_nodes_edges_and_counters(host: HostProcess) -> None:
    client = admin(host)
    assert {"name": "shop", "steps": 5} in client.get("/__stephost/flows").json()
    shop = client.get("/__stephost/flows/shop").json()
    edges = {(e["source"], e["target"]): e for e in shop["edges"]}
    assert edges[("place-order", "check-stock")]["virtual"] is False
    assert edges[("place-order", "auditor")] == {
        "source": "place-order",
        "target": "auditor",
        "topic": "shop.audit",
        "label": "audited later",
        "conditional": False,
        "virtual": True,
    }
    languages = {n["name"]: n["language"] for n in shop["nodes"]}
    assert languages["check-stock"] == "node" and languages["ship-order"] == "ruby"
    r = client.get("/__stephost/flows/nope")
    assert r.status_code == 404 and "no flow named 'nope'" in r.json()["error"]


def test_state_api_follows_the_handlers_rules(host: HostProcess) -> None:
    client = admin(host)
    assert client.put("/__stephost/state/settings/greeting", json={"text": "from the api"}).status_code == 200
    assert httpx.get(host.url + "/shop/greeting").json() == {"greeting": {"text": "from the api"}}
    bad = client.put("/__stephost/state/settings/greeting", content=b"{not json")
    assert bad.status_code == 400 and "request body" in bad.json()["error"]
    assert client.get("/__stephost/state/settings/greeting").json()["value"] == {"text": "from the api"}
    assert "greeting" in client.get("/__stephost/state").json()["settings"]
    assert client.delete("/__stephost/state/settings/greeting").json() == {
        "deleted": {"text": "from the api"}
    }
    assert httpx.put(host.url + "/__stephost/state/settings/x", json=1).status_code == 401  # the secret first


def test_the_workbench_page_is_served_by_start_only_when_enabled(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    try:
        off = HostProcess(PROJECT, tmp_path / "off", server.url).wait_ready(STEPS)
        try:
            assert httpx.get(off.url + "/__stephost/workbench/").status_code == 401
            assert admin(off).get("/__stephost/workbench/").status_code == 404
        finally:
            off.stop()
        on = HostProcess(PROJECT, tmp_path / "on", server.url, env={"STEPHOST_WORKBENCH": "true"}).wait_ready(
            STEPS
        )
        try:
            page = httpx.get(on.url + "/__stephost/workbench/")
            assert page.status_code == 200 and '<div id="app">' in page.text  # the files hold no data
            assert httpx.get(on.url + "/__stephost/traces").status_code == 401  # the data does
            assert on.log_lines("workbench: ", "/__stephost/workbench/")
            assert not on.log_lines(on.secret)  # the secret is never logged
        finally:
            on.stop()
    finally:
        server.stop()


async def test_a_full_recorder_drops_and_counts_instead_of_waiting() -> None:
    recorder = Recorder(None, None, max_messages=100, max_age_hours=1, queue_size=2)  # type: ignore[arg-type]
    span = Span("t", "s", "python")
    started = time.perf_counter()
    for _ in range(5):
        recorder.ended(span, 1.0, StepFailed("E", "boom", "", False, 0.0))
    assert time.perf_counter() - started < 1  # never waits
    assert recorder.queue.qsize() == 2 and recorder.metrics.dropped._value.get() == 3
    _, doc = _record(recorder.queue.get_nowait())
    assert doc["outcome"] == "error" and doc["error"]["message"] == "boom"


def test_a_recorded_message_is_one_line_of_json_whatever_a_log_holds() -> None:
    """encode(): what a log record's fields may hold (a newline, non-ASCII, a non-string key,
    an integer past 64 bits, an object JSON has no form for) still makes one line of valid
    JSON, so the live tail hands it on as one event."""
    fields = {"note": "two\nlines é", 3: "a number key", "big": 2**70, "when": Path("/x")}
    for kind, docs in (("logs", [{"msg": "m", "fields": fields}]), ("spans", [{"trace": "t", "ms": 1.5}])):
        line = encode(kind, docs)
        assert b"\n" not in line
        decoded = json.loads(line)[kind][0]
        if kind == "logs":
            assert decoded["fields"] == {
                "note": "two\nlines é",
                "3": "a number key",
                "big": 2**70,
                "when": "/x",
            }
        else:
            assert decoded == {"trace": "t", "ms": 1.5}
