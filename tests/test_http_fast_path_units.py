"""The HTTP path's shortcuts give exactly what the plain way gives: a response in one write,
metrics counted in bulk (its JSON: tests/test_json_codec.py)."""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from stephost_host.http.app import BadReply, encode_reply
from stephost_host.http.limits import HeadWithBody
from stephost_host.observe.metrics import BUCKETS, SHARED_DIR_ENV, Metrics, StepStats, observe_many
from stephost_host.observe.spans import new_trace_id, traceparent
from stephost_wire import codec


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_reply_with_nan_or_infinity_is_refused_not_sent_as_null(bad: float) -> None:
    with pytest.raises(ValueError):
        codec.dumps_strict_bytes({"x": [bad]})
    with pytest.raises(BadReply, match="cannot be encoded"):
        encode_reply(200, {"x": bad})


def test_a_lone_surrogate_in_a_reply_is_refused() -> None:
    with pytest.raises(BadReply, match="cannot be encoded"):
        encode_reply(200, {"x": "\ud800"})


def test_the_hosts_own_headers_win_over_a_handlers() -> None:
    own = [(b"x-trace-id", b"t-1"), (b"x-stephost-version", b"v2")]
    start, body = encode_reply(200, {"a": 1}, {"X-Trace-Id": "forged", "Content-Length": "9"}, own=own)
    assert start["headers"] == [
        (b"content-length", str(len(body)).encode()),
        (b"x-trace-id", b"t-1"),
        (b"x-stephost-version", b"v2"),
        (b"content-type", b"application/json"),
    ]


def test_bulk_observations_expose_what_one_by_one_observations_do() -> None:
    values = [random.expovariate(50) for _ in range(3000)] + [*BUCKETS, 0.0, 1000.0]
    texts = []
    for bulk in (False, True):
        registry = CollectorRegistry()
        child = Histogram("d_seconds", "d", ("step",), buckets=BUCKETS, registry=registry).labels("s")
        if bulk:
            observe_many(child, values)
        else:
            for value in values:
                child.observe(value)
        lines = generate_latest(registry).decode().splitlines()
        # The sum differs only in float rounding (added in another order); created is a clock.
        texts.append([line for line in lines if "_created" not in line and "_sum" not in line])
        total = next(line for line in lines if line.startswith("d_seconds_sum"))
        assert float(total.split()[-1]) == pytest.approx(sum(values))
    assert texts[0] == texts[1]


def test_requests_noted_are_counted_when_metrics_are_read() -> None:
    metrics = Metrics(lambda: 0)
    for status in (200, 200, 404):
        metrics.http("GET", "/orders/:id", status, 0.002)
    text = metrics.exposition().decode()
    assert (
        'stephost_http_request_duration_seconds_count{method="GET",route="/orders/:id",status="200"} 2.0'
        in text
    )
    assert (
        'stephost_http_request_duration_seconds_count{method="GET",route="/orders/:id",status="404"} 1.0'
        in text
    )


def test_spans_are_counted_per_step_and_outcome_in_a_batch() -> None:
    metrics = Metrics(lambda: 0)
    docs = [{"step": "a", "language": "python", "outcome": "ok", "ms": 2.0}] * 3
    docs += [{"step": "a", "language": "python", "outcome": "error", "ms": 40.0}]
    metrics.spans(docs)
    text = metrics.exposition().decode()
    assert 'stephost_invocations_total{language="python",outcome="ok",step="a"} 3.0' in text
    assert 'stephost_invocations_total{language="python",outcome="error",step="a"} 1.0' in text
    assert 'stephost_invocation_duration_seconds_bucket{language="python",le="0.0025",step="a"} 3.0' in text
    assert metrics.counters()["a"] == {"invocations": 4, "errors": 1, "p50Ms": 2.0}


def test_with_workers_the_step_counters_are_the_whole_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `stephost start --workers N` each worker writes its per-step counters beside the
    prometheus files; the one the Workbench asks merges every worker's."""
    monkeypatch.setenv(SHARED_DIR_ENV, str(tmp_path))
    metrics = Metrics(lambda: 0)
    metrics.spans([{"step": "a", "language": "python", "outcome": "ok", "ms": 2.0}] * 3)
    sibling = {"a": {"invocations": 2, "errors": 1, "recent_ms": [40.0, 50.0]}, "b": StepStats().saved()}
    (tmp_path / "steps-99999.json").write_bytes(orjson.dumps(sibling))
    (tmp_path / "steps-99998.json").write_bytes(b"{not json")  # unreadable: skipped, not a 500
    counters = metrics.counters()
    assert counters == {
        "a": {"invocations": 5, "errors": 1, "p50Ms": 2.0},  # the median of 2, 2, 2, 40, 50
        "b": {"invocations": 0, "errors": 0, "p50Ms": None},
    }
    # This worker's own file, written on each refresh, is what its siblings merge; the worker
    # itself counts from memory, not its file as well.
    metrics.refresh()
    assert metrics.counters() == counters
    assert orjson.loads((tmp_path / f"steps-{os.getpid()}.json").read_bytes()) == {
        "a": {"invocations": 3, "errors": 0, "recent_ms": [2.0, 2.0, 2.0]}
    }


class Transport:
    """What the wrapper writes to: the writes as they came, and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


class Cycle:
    """The request cycle's fields the wrapper reads (uvicorn's RequestResponseCycle has them)."""

    def __init__(self) -> None:
        self.response_started = False
        self.chunked_encoding: bool | None = None
        self.completed = 0

    def on_response(self) -> None:
        self.completed += 1


def test_a_sized_response_goes_out_in_one_write() -> None:
    transport, cycle = Transport(), Cycle()
    wrapped = HeadWithBody(transport, cycle)  # type: ignore[arg-type]
    wrapped.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # before the response: straight through
    cycle.response_started, cycle.chunked_encoding = True, False
    wrapped.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    wrapped.write(b"{}")
    assert transport.writes[1:] == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert not wrapped.is_closing()


def test_a_head_no_body_follows_goes_out_when_the_response_completes_or_closes() -> None:
    for end in ("complete", "close"):
        transport, cycle = Transport(), Cycle()
        wrapped = HeadWithBody(transport, cycle)  # type: ignore[arg-type]
        cycle.response_started, cycle.chunked_encoding = True, False
        wrapped.write(b"HEAD-REPLY")
        assert transport.writes == []
        if end == "complete":
            cycle.on_response()
            assert cycle.completed == 1
        else:
            wrapped.close()
            assert transport.closed
        assert transport.writes == [b"HEAD-REPLY"]


def test_a_chunked_response_is_written_as_it_comes() -> None:
    transport, cycle = Transport(), Cycle()
    wrapped = HeadWithBody(transport, cycle)  # type: ignore[arg-type]
    cycle.response_started, cycle.chunked_encoding = True, True
    wrapped.write(b"head")
    wrapped.write(b"chunk")
    assert transport.writes == [b"head", b"chunk"]


def test_only_a_w3c_trace_id_gets_a_traceparent() -> None:
    trace, span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    assert traceparent(trace, span) == f"00-{trace}-{span}-01"
    for bad in (
        "order-42",
        trace.upper(),
        trace[:-1],
        trace + "0",
        "",
        "g" * 32,
        trace[:10] + "-" + trace[11:],
    ):
        assert traceparent(bad, span) == "", bad
    assert traceparent(trace, "") == ""
    assert len(new_trace_id()) == 32 and traceparent(new_trace_id(), span)
