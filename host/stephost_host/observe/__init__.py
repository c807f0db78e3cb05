"""What the host saw: a span per step invocation and the log records, kept for the Workbench,
``/metrics`` and OTLP export, recorded off the hot path (see ``recorder.py``)."""

from stephost_host.observe.recorder import Recorder
from stephost_host.observe.spans import Span, new_span_id, parse_traceparent, traceparent

__all__ = ["Recorder", "Span", "new_span_id", "parse_traceparent", "traceparent"]
