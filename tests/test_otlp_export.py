"""OTLP export against a real OTLP/gRPC receiver (the collector's TraceService, built from the
official opentelemetry-proto package) started by the test: a request's spans arrive with their
parent/child links across Python, TypeScript and Ruby steps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "workbench"
TRACE = "5bf92f3577b34da6a3ce929d0e0e4737"
CALLER = "10f067aa0ba902b8"


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list[tuple[dict[str, Any], Any]] = []  # (resource attributes, span)
        self.lock = threading.Lock()

    def Export(self, request: Any, context: Any) -> Any:
        with self.lock:
            for rs in request.resource_spans:
                resource = {a.key: a.value.string_value for a in rs.resource.attributes}
                for ss in rs.scope_spans:
                    self.spans.extend((resource, span) for span in ss.spans)
        return trace_service_pb2.ExportTraceServiceResponse()

    def of_trace(self, trace_hex: str) -> dict[str, tuple[dict[str, Any], Any]]:
        with self.lock:
            return {s.name: (r, s) for r, s in self.spans if s.trace_id.hex() == trace_hex}


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = Receiver()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, port
    server.stop(0)


def test_spans_reach_an_otlp_receiver_with_their_links(
    receiver: tuple[Receiver, int], tmp_path: Path
) -> None:
    servicer, port = receiver
    nats = NatsServer(tmp_path / "nats")
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_SERVICE_NAME": "shop",
    }
    host = HostProcess(PROJECT, tmp_path / "host", nats.url, env=env)
    try:
        host.wait_ready(7)
        assert host.log_lines("exporting spans over OTLP (grpc)")
        r = httpx.post(
            host.url + "/shop/orders",
            json={"item": "otlp", "quantity": 1},
            headers={"traceparent": f"00-{TRACE}-{CALLER}-01"},
        )
        assert r.status_code == 201
        spans = eventually(
            lambda: len(servicer.of_trace(TRACE)) >= 3 and servicer.of_trace(TRACE), timeout=60
        )
        (resource, api), (_, ts), (_, rb) = spans["place-order"], spans["check-stock"], spans["ship-order"]
        assert resource["service.name"] == "shop"
        assert api.parent_span_id.hex() == CALLER
        assert ts.parent_span_id == api.span_id and rb.parent_span_id == ts.span_id
        languages = {
            name: next(a.value.string_value for a in span.attributes if a.key == "stephost.language")
            for name, (_, span) in spans.items()
        }
        assert languages == {"place-order": "python", "check-stock": "node", "ship-order": "ruby"}
        assert api.end_time_unix_nano > api.start_time_unix_nano
    finally:
        host.stop()
        nats.stop()
