"""OTLP export of the spans with OpenTelemetry's official SDK exporter, configured the
standard way: on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set and
``OTEL_TRACES_EXPORTER`` is not ``none``; the exporter reads its own variables (headers,
insecure, timeout, compression), the resource reads ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES``. gRPC by default, ``OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf``
for HTTP.

Spans are exported by the recorder's background task, a batch at a time in a worker thread:
a slow collector fills the recorder's queue (records then drop and are counted), it never
slows a step. The packages are an extra: ``pip install 'stephost[otlp]'``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from typing import Any

log = logging.getLogger("stephost.observe")
_W3C_TRACE_HEX = 32


def _trace_int(trace_id: str) -> int:
    """A W3C trace id as is; any other text (an ``x-trace-id``) hashed to 128 bits, stably."""
    if len(trace_id) == _W3C_TRACE_HEX:
        try:
            return int(trace_id, 16)
        except ValueError:
            pass
    return int(hashlib.sha256(trace_id.encode()).hexdigest()[:_W3C_TRACE_HEX], 16)


def _span_int(span_id: str) -> int:
    try:
        return int(span_id, 16)
    except ValueError:
        return 0


class OtlpExport:
    def __init__(self, exporter: Any) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope

        self.exporter = exporter
        self.resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "stephost")})
        self.scope = InstrumentationScope("stephost")

    def span(self, doc: dict[str, Any]) -> Any:
        from opentelemetry.sdk.trace import ReadableSpan
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

        trace = _trace_int(doc["trace"])
        context = SpanContext(trace, _span_int(doc["span"]), is_remote=False, trace_flags=TraceFlags(1))
        parent_id = _span_int(doc.get("parent", ""))
        parent = (
            SpanContext(trace, parent_id, is_remote=True, trace_flags=TraceFlags(1)) if parent_id else None
        )
        start = int(doc["start"] * 1e9)
        error = doc.get("error") or {}
        attributes = {
            "stephost.step": doc["step"],
            "stephost.language": doc["language"],
            "stephost.cause": doc.get("cause", ""),
            "stephost.attempt": doc.get("attempt", 1),
            "stephost.outcome": doc["outcome"],
            "stephost.emits": list(doc.get("emits", [])),
        }
        if doc.get("topic"):
            attributes["messaging.destination.name"] = doc["topic"]
        if error:
            attributes.update(
                {"exception.type": error.get("type", ""), "exception.message": error.get("message", "")}
            )
            if error.get("stack"):
                attributes["exception.stacktrace"] = error["stack"]
        ok = doc["outcome"] == "ok"
        return ReadableSpan(
            name=doc["step"],
            context=context,
            parent=parent,
            resource=self.resource,
            attributes=attributes,
            kind=SpanKind.SERVER if doc.get("cause") == "http" else SpanKind.CONSUMER,
            status=Status(StatusCode.OK if ok else StatusCode.ERROR, None if ok else error.get("message")),
            start_time=start,
            end_time=start + int(doc["ms"] * 1e6),
            instrumentation_scope=self.scope,
        )

    async def export(self, docs: list[dict[str, Any]]) -> bool:
        spans = [self.span(doc) for doc in docs]
        result = await asyncio.to_thread(self.exporter.export, spans)
        return getattr(result, "name", "") == "SUCCESS"

    def shutdown(self) -> None:
        self.exporter.shutdown()


def from_environment() -> OtlpExport | None:
    """The exporter the OTEL_* variables ask for, or None (not asked for, or not installed)."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if not endpoint or os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return None
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"
    )
    try:
        if protocol.strip().lower().startswith("http"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # type: ignore[assignment]
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OTLP export is not installed "
            "(pip install 'stephost[otlp]'); spans are not exported"
        )
        return None
    log.info("exporting spans over OTLP (%s) to %s", protocol, endpoint)
    return OtlpExport(OTLPSpanExporter())
