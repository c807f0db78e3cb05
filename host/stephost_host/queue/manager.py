"""Keeps one consumer running per (topic, event step), following the registry."""

from __future__ import annotations

import asyncio
from functools import partial

from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from stephost_host.queue.consumer import StepConsumer, host_start_time
from stephost_host.queue.dlq import DeadLetters
from stephost_host.queue.fifo import FifoConsumer
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.steps.models import EventStep


class Consumers:
    def __init__(
        self,
        js: JetStreamContext,
        registry: Registry,
        invoker: Invoker,
        dlq: DeadLetters,
        *,
        backoff_base: float,
        backoff_max: float,
        leases: KeyValue,
    ) -> None:
        self.js = js
        self.registry = registry
        self.invoker = invoker
        self.dlq = dlq
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.leases = leases
        self.since = host_start_time()
        self.consumers: dict[tuple[str, str], StepConsumer] = {}
        self.paused = False

    def sync(self) -> None:
        """Called on every registry change: start new consumers, pause those with no sidecar."""
        wanted: set[tuple[str, str]] = set()
        for entry in self.registry.of_type(EventStep):
            assert isinstance(entry.config, EventStep)
            for topic in entry.config.subscribes:
                key = (topic, entry.name)
                wanted.add(key)
                consumer = self.consumers.get(key)
                if consumer is None:
                    fifo = entry.config.infrastructure.queue.type == "fifo"
                    make = partial(FifoConsumer, leases=self.leases) if fifo else StepConsumer
                    consumer = self.consumers[key] = make(
                        self.js,
                        self.invoker,
                        self.dlq,
                        entry,
                        topic,
                        since=self.since,
                        backoff_base=self.backoff_base,
                        backoff_max=self.backoff_max,
                    )
                    consumer.start()
                consumer.entry = entry
                if self.registry.is_live(entry) and not self.paused:
                    consumer.live.set()
                else:
                    consumer.live.clear()
        for key, consumer in self.consumers.items():
            if key not in wanted:  # the step no longer subscribes (reloaded with a new config)
                consumer.live.clear()

    async def stop(self, drain_seconds: float) -> None:
        self.paused = True
        await asyncio.gather(*(c.stop(drain_seconds) for c in self.consumers.values()))
