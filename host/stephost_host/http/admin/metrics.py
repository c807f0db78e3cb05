"""``/metrics``: the host's Prometheus metrics, in the text exposition format.

The queue gauges (backlog and ack pending per step's consumer, dead letters per step) are
read from JetStream at scrape time, so they cost nothing between scrapes.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from prometheus_client import CONTENT_TYPE_LATEST

from stephost_host import names
from stephost_host.observe.metrics import Metrics
from stephost_host.router.registry import Registry
from stephost_host.steps.models import EventStep


async def read_queues(
    js: JetStreamContext, registry: Registry
) -> tuple[list[tuple[str, str, int, int]], dict[str, int]]:
    """Each event step's consumers (step, topic, backlog, ack pending), and dead letters per step."""
    wanted: dict[str, tuple[str, str]] = {}
    for entry in registry.of_type(EventStep):
        assert isinstance(entry.config, EventStep)
        for topic in entry.config.subscribes:
            wanted[names.consumer_name(topic, entry.name)] = (entry.name, topic)
    consumers = []
    for info in await js.consumers_info(names.EVENTS_STREAM):
        if found := wanted.get(info.name):
            consumers.append((*found, info.num_pending or 0, info.num_ack_pending or 0))
    dlq = await js.stream_info(names.DLQ_STREAM, subjects_filter=names.DLQ_SUBJECTS)
    prefix = names.DLQ_SUBJECTS[:-1]
    dead = {names.untoken(subject[len(prefix) :]): n for subject, n in (dlq.state.subjects or {}).items()}
    return consumers, dead


def router(metrics: Metrics, js: JetStreamContext, registry: Registry) -> APIRouter:
    api = APIRouter()

    @api.get("/metrics")
    async def exposition() -> Response:
        try:
            metrics.queues(*await read_queues(js, registry))
        except (NatsError, TimeoutError):
            pass  # NATS away: the rest of the metrics still answer; the queue gauges keep their last values
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return api
