"""The demo project end to end: API -> event -> state -> second event, one trace id."""

from __future__ import annotations

from typing import Any

from tests.harness import ROOT, eventually

DEMO = ROOT / "examples" / "demo"


def test_order_flows_through_both_events_with_one_trace_id(start_host: Any) -> None:
    host = start_host(DEMO, live_steps=6)
    with host.client() as http:
        r = http.post("/orders", json={"item": "book", "quantity": 2})
        assert r.status_code == 201, r.text
        order_id, trace = r.json()["id"], r.headers["x-trace-id"]
        order = eventually(
            lambda: (o := http.get(f"/orders/{order_id}").json())["status"] == "notified" and o,
            what="the order to reach notify-customer",
        )
        assert order["item"] == "book" and order["quantity"] == 2
        # The API step, reserve-stock and notify-customer each recorded the trace id they saw.
        assert order["traces"] == [trace, trace, trace]
        assert http.get("/orders/nope").status_code == 404
        assert http.post("/orders", json={"item": 3}).status_code == 400


def test_trace_id_from_the_caller_is_kept(start_host: Any) -> None:
    host = start_host(DEMO, live_steps=6)
    with host.client() as http:
        r = http.post(
            "/orders", json={"item": "pen", "quantity": 1}, headers={"x-trace-id": "caller-trace-1"}
        )
        assert r.headers["x-trace-id"] == "caller-trace-1"
        order_id = r.json()["id"]
        order = eventually(
            lambda: (o := http.get(f"/orders/{order_id}").json())["status"] == "notified" and o
        )
        assert set(order["traces"]) == {"caller-trace-1"}


def test_demo_cron_writes_a_report(start_host: Any) -> None:
    host = start_host(DEMO, live_steps=6)
    with host.client() as http:
        http.post("/orders", json={"item": "cup", "quantity": 1})
        report = eventually(
            lambda: http.get("/orders-report").json(), timeout=25, what="the 10-second cron report"
        )
        assert sum(report.values()) >= 1


def test_a_redelivered_event_changes_nothing_and_tells_the_customer_once(start_host: Any) -> None:
    """Queues deliver at least once: the demo's handlers (the code people copy) must let a
    second delivery of an event pass without undoing or repeating anything."""
    import json
    import subprocess

    from tests.harness import STEPHOST

    host = start_host(DEMO, live_steps=6)
    with host.client() as http:
        r = http.post("/orders", json={"item": "lamp", "quantity": 1})
        order_id, trace = r.json()["id"], r.headers["x-trace-id"]
        first = eventually(
            lambda: (o := http.get(f"/orders/{order_id}").json())["status"] == "notified" and o
        )
        # The same order.created again, as a crashed host's unacknowledged event comes back.
        again = {k: first[k] for k in ("id", "item", "quantity")}
        cmd = [*STEPHOST, "emit", "--state-dir", str(host.state_dir), "--topic", "order.created"]
        done = subprocess.run(
            [*cmd, "--message", json.dumps(again), "--trace-id", trace], capture_output=True
        )
        assert done.returncode == 0, done.stderr
        eventually(
            lambda: (
                host.log_lines("already reserved", order_id) and host.log_lines("already notified", order_id)
            ),
            what="both handlers to see the second delivery",
        )
        order = http.get(f"/orders/{order_id}").json()
        assert order["status"] == "notified" and order["traces"] == [trace, trace, trace]
        assert len(host.log_lines("customer notified", order_id)) == 1
