"""Prometheus metrics (``/metrics``) and the Workbench's live counters, fed by the recorder's
drain task from the spans it publishes, never by the invocation itself.

Each host has its own registry: the numbers are this process's, as Prometheus expects, and
two hosts in one test process do not collide.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

DURATIONS_KEPT = 256  # the recent durations a step's p50 is taken over
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


@dataclass
class StepStats:
    invocations: int = 0
    errors: int = 0
    recent_ms: deque[float] = field(default_factory=lambda: deque(maxlen=DURATIONS_KEPT))

    def describe(self) -> dict[str, Any]:
        p50 = median(self.recent_ms) if self.recent_ms else None
        return {"invocations": self.invocations, "errors": self.errors, "p50Ms": p50}


class Metrics:
    def __init__(self, queue_depth: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        labels = ("step", "language")
        self.invocations = Counter(
            "stephost_invocations",
            "Step invocations, by outcome",
            (*labels, "outcome"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "stephost_invocation_duration_seconds",
            "Step invocation time, from admission to the handler's answer",
            labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.dropped = Counter(
            "stephost_observe_dropped",
            "Spans and log records dropped (recorder queue full, or NATS away)",
            registry=self.registry,
        )
        self.unexported = Counter(
            "stephost_otlp_unexported_spans",
            "Spans the OTLP collector did not take (unreachable, refused, timed out)",
            registry=self.registry,
        )
        depth = Gauge(
            "stephost_observe_queue_depth",
            "Spans and log records waiting to be recorded",
            registry=self.registry,
        )
        depth.set_function(queue_depth)
        # Queue gauges are read from JetStream when scraped (``queues``): not on any hot path.
        self.backlog = Gauge(
            "stephost_consumer_backlog",
            "Events stored and not yet delivered to a step's consumer",
            ("step", "topic"),
            registry=self.registry,
        )
        self.ack_pending = Gauge(
            "stephost_consumer_ack_pending",
            "Events delivered to a step and not yet acknowledged (running or awaiting a retry)",
            ("step", "topic"),
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "stephost_dead_letters",
            "Dead letters waiting to be replayed or discarded",
            ("step",),
            registry=self.registry,
        )
        self.requests = Histogram(
            "stephost_http_request_duration_seconds",
            "HTTP requests to api steps, by method, route (the step's path pattern) and status",
            ("method", "route", "status"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.steps: dict[str, StepStats] = {}
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._request_children: dict[tuple[str, str, int], Any] = {}

    def gauge(self, name: str, doc: str, read: Callable[[], float]) -> None:
        """A value read when scraped (e.g. connected sidecars)."""
        Gauge(name, doc, registry=self.registry).set_function(read)

    def span(self, doc: dict[str, Any]) -> None:
        step, language, outcome, ms = doc["step"], doc["language"], doc["outcome"], doc["ms"]
        key = (step, language, outcome)
        found = self._children.get(key)
        if found is None:  # .labels() is a locked lookup: once per step, language and outcome
            found = self._children[key] = (
                self.invocations.labels(*key),
                self.duration.labels(step, language),
            )
        found[0].inc()
        found[1].observe(ms / 1000)
        stats = self.steps.setdefault(step, StepStats())
        stats.invocations += 1
        if outcome != "ok":
            stats.errors += 1
        stats.recent_ms.append(ms)

    def queues(self, consumers: list[tuple[str, str, int, int]], dead: dict[str, int]) -> None:
        """Sets the queue gauges: (step, topic, backlog, ack pending) per consumer, dead
        letters per step. Labels no longer present (a removed step) are dropped."""
        for gauge in (self.backlog, self.ack_pending, self.dead_letters):
            gauge.clear()
        for step, topic, pending, acking in consumers:
            self.backlog.labels(step, topic).set(pending)
            self.ack_pending.labels(step, topic).set(acking)
        for step, count in dead.items():
            self.dead_letters.labels(step).set(count)

    def http(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request; labelled by route pattern, never by the raw path (which would
        make a series per id)."""
        key = (method, route, status)
        found = self._request_children.get(key)
        if found is None:  # .labels() is a locked lookup: once per method, route and status
            found = self._request_children[key] = self.requests.labels(method, route, str(status))
        found.observe(seconds)

    def counters(self) -> dict[str, dict[str, Any]]:
        return {step: stats.describe() for step, stats in self.steps.items()}

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
