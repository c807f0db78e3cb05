"""Prometheus metrics (``/metrics``) and the Workbench's live counters, fed by the recorder's
drain task from the spans it publishes, never by the invocation itself. Answered requests are
only noted as they end and counted in bulk with the spans (or when /metrics is read).

Each host has its own registry: the numbers are this process's, as Prometheus expects, and
two hosts in one test process do not collide.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

DURATIONS_KEPT = 256  # the recent durations a step's p50 is taken over
PENDING_REQUESTS = 4096  # answered requests noted before they are counted even with no drain
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
        self._requests: list[tuple[str, str, int, float]] = []  # answered, not yet counted

    def gauge(self, name: str, doc: str, read: Callable[[], float]) -> None:
        """A value read when scraped (e.g. connected sidecars)."""
        Gauge(name, doc, registry=self.registry).set_function(read)

    def spans(self, docs: Sequence[dict[str, Any]]) -> None:
        """A batch of published spans: one increment and one histogram update per step,
        language and outcome in it, not one per span (each takes locks and walks buckets)."""
        groups = _grouped(((d["step"], d["language"], d["outcome"]), d["ms"]) for d in docs)
        for key, ms in groups.items():
            children = self._children.get(key)
            if children is None:  # .labels() is a locked lookup: once per step, language and outcome
                children = self._children[key] = (
                    self.invocations.labels(*key),
                    self.duration.labels(key[0], key[1]),
                )
            children[0].inc(len(ms))
            observe_many(children[1], [m / 1000 for m in ms])
            stats = self.steps.setdefault(key[0], StepStats())
            stats.invocations += len(ms)
            if key[2] != "ok":
                stats.errors += len(ms)
            stats.recent_ms.extend(ms)
        self.count_requests()

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
        make a series per id). Only noted here: ``count_requests`` counts them in bulk."""
        self._requests.append((method, route, status, seconds))
        if len(self._requests) >= PENDING_REQUESTS:  # recording off or idle: bounded all the same
            self.count_requests()

    def count_requests(self) -> None:
        pending, self._requests = self._requests, []
        groups = _grouped(((method, route, status), seconds) for method, route, status, seconds in pending)
        for key, values in groups.items():
            child = self._request_children.get(key)
            if child is None:  # .labels() is a locked lookup: once per method, route and status
                child = self._request_children[key] = self.requests.labels(key[0], key[1], str(key[2]))
            observe_many(child, values)

    def counters(self) -> dict[str, dict[str, Any]]:
        return {step: stats.describe() for step, stats in self.steps.items()}

    def exposition(self) -> bytes:
        self.count_requests()
        return generate_latest(self.registry)


K = TypeVar("K")


def _grouped(pairs: Iterable[tuple[K, float]]) -> dict[K, list[float]]:
    """The values by key, in the order they came."""
    groups: dict[K, list[float]] = {}
    for key, value in pairs:
        found = groups.get(key)
        if found is None:
            groups[key] = [value]
        else:
            found.append(value)
    return groups


def observe_many(child: Any, values: list[float]) -> None:
    """``child.observe(v)`` for every value: a count per bucket, then one increment per bucket
    and one for the sum. It uses the child's ``_upper_bounds``, ``_buckets`` and ``_sum``
    (prometheus_client's names for years); without them, one observe per value."""
    bounds = getattr(child, "_upper_bounds", None)
    buckets = getattr(child, "_buckets", None)
    total = getattr(child, "_sum", None)
    if bounds is None or buckets is None or total is None:
        for value in values:
            child.observe(value)
        return
    counts = [0] * len(bounds)
    for value in values:
        counts[bisect_left(bounds, value)] += 1  # the first bucket whose bound >= value
    for bucket, n in zip(buckets, counts, strict=True):
        if n:
            bucket.inc(n)
    total.inc(sum(values))
