"""Prometheus metrics (``/metrics``) and the Workbench's live counters, fed by the recorder's
drain task from the spans it publishes, never by the invocation itself. Answered requests are
only noted as they end and counted in bulk with the spans (or when /metrics is read).

Each host has its own registry: the numbers are this process's, as Prometheus expects, and
two hosts in one test process do not collide. The workers of `stephost start --workers N` are
one server behind one port, so whichever takes a scrape answers for all of them:
prometheus_client's multiprocess mode (``SHARED_DIR_ENV``, set by their manager) keeps each
worker's counts in files there, and the scrape adds them up. The Workbench's per-step counters
are shared the same way: each worker writes its own to a file there (``steps-<pid>.json``), and
whichever worker the Workbench asks merges them.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any, TypeVar

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

DURATIONS_KEPT = 256  # the recent durations a step's p50 is taken over
PENDING_REQUESTS = 4096  # answered requests noted before they are counted even with no drain
# prometheus_client's multiprocess switch, read when it is imported: set, every process writes
# its counts into files in that directory.
SHARED_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
STEPS_FILE_PREFIX = "steps-"  # each worker's per-step counters, beside prometheus_client's files
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


@dataclass
class StepStats:
    invocations: int = 0
    errors: int = 0
    recent_ms: deque[float] = field(default_factory=lambda: deque(maxlen=DURATIONS_KEPT))

    def describe(self) -> dict[str, Any]:
        p50 = median(self.recent_ms) if self.recent_ms else None
        return {"invocations": self.invocations, "errors": self.errors, "p50Ms": p50}

    def saved(self) -> dict[str, Any]:
        return {"invocations": self.invocations, "errors": self.errors, "recent_ms": list(self.recent_ms)}

    def add(self, saved: dict[str, Any]) -> None:
        """Another worker's counts (as ``saved`` wrote them) into these; its recent durations
        join these, so the p50 is taken over every worker's recent invocations."""
        self.invocations += int(saved["invocations"])
        self.errors += int(saved["errors"])
        self.recent_ms = deque([*self.recent_ms, *map(float, saved["recent_ms"])])


class Metrics:
    def __init__(self, queue_depth: Callable[[], float]) -> None:
        self.shared_dir = os.environ.get(SHARED_DIR_ENV) or None  # set: one of several workers
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
        self._live: list[tuple[Gauge, Callable[[], float]]] = []  # shared mode: set when refreshed
        self.gauge(
            "stephost_observe_queue_depth", "Spans and log records waiting to be recorded", queue_depth
        )
        # Queue gauges are read from JetStream when scraped (``queues``): not on any hot path.
        self._queues = QueueGauges()
        self.registry.register(self._queues)
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
        """A value read when scraped (e.g. connected sidecars); with workers, the sum of each
        worker's value as of its last ``refresh``."""
        if self.shared_dir is None:
            Gauge(name, doc, registry=self.registry).set_function(read)
            return
        gauge = Gauge(name, doc, registry=self.registry, multiprocess_mode="livesum")
        gauge.set(read())
        self._live.append((gauge, read))

    def refresh(self) -> None:
        """With workers: write this worker's counts where a sibling's scrape reads them (the
        answered requests noted, the values of ``gauge``). Its recorder calls this every
        REFRESH seconds, and a scrape this worker takes, before it reads."""
        self.count_requests()
        for gauge, read in self._live:
            gauge.set(read())
        self._save_steps()

    def _steps_file(self) -> Path:
        """Where this worker keeps its per-step counters for its siblings."""
        assert self.shared_dir is not None
        return Path(self.shared_dir) / f"{STEPS_FILE_PREFIX}{os.getpid()}.json"

    def _save_steps(self) -> None:
        path = self._steps_file()
        temp = path.with_suffix(".tmp")  # written whole, then renamed: a reader never sees half
        temp.write_bytes(orjson.dumps({step: stats.saved() for step, stats in self.steps.items()}))
        temp.replace(path)

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
        self._queues.consumers, self._queues.dead = consumers, dead

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
        """Per step: invocations, errors and the p50 of the recent ones (the Workbench's flow
        view); with workers, of the whole server as of each worker's last ``refresh``."""
        if self.shared_dir is None:
            return {step: stats.describe() for step, stats in self.steps.items()}
        merged: dict[str, StepStats] = {}
        for step, stats in self.steps.items():  # this worker's as of now, from memory
            merged.setdefault(step, StepStats()).add(stats.saved())
        own = self._steps_file()
        # Workers that died keep their file, as their prometheus counts do: totals stay totals.
        for path in sorted(Path(self.shared_dir).glob(f"{STEPS_FILE_PREFIX}*.json")):
            if path == own:
                continue
            try:
                saved = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError):  # gone meanwhile (a worker's state cleaned)
                continue
            for step, counts in saved.items():
                merged.setdefault(step, StepStats()).add(counts)
        return {step: stats.describe() for step, stats in merged.items()}

    def exposition(self) -> bytes:
        if self.shared_dir is None:
            self.count_requests()
            return generate_latest(self.registry)
        self.refresh()
        # Every worker's files (this one's included) and the queue gauges, which are JetStream's
        # and the same from any worker; not this process's registry, which would count it twice.
        shared = CollectorRegistry()  # not auto_describe: it would read the files twice
        MultiProcessCollector(shared, self.shared_dir)
        shared.register(self._queues)
        return generate_latest(shared)


class QueueGauges(Collector):
    """The queue gauges as last read from JetStream (``Metrics.queues``): one value each, the
    same whichever worker reads them, so never summed over workers."""

    def __init__(self) -> None:
        self.consumers: list[tuple[str, str, int, int]] = []
        self.dead: dict[str, int] = {}

    def collect(self) -> Iterable[Metric]:
        backlog = GaugeMetricFamily(
            "stephost_consumer_backlog",
            "Events stored and not yet delivered to a step's consumer",
            labels=("step", "topic"),
        )
        acking = GaugeMetricFamily(
            "stephost_consumer_ack_pending",
            "Events delivered to a step and not yet acknowledged (running or awaiting a retry)",
            labels=("step", "topic"),
        )
        for step, topic, pending, unacked in self.consumers:
            backlog.add_metric((step, topic), pending)
            acking.add_metric((step, topic), unacked)
        dead = GaugeMetricFamily(
            "stephost_dead_letters", "Dead letters waiting to be replayed or discarded", labels=("step",)
        )
        for step, count in self.dead.items():
            dead.add_metric((step,), count)
        return [backlog, acking, dead]


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
