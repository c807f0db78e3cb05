"""Keeps one consumer running per (topic, event step), following the registry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
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
        replay_new_subscribers: bool = False,
    ) -> None:
        self.js = js
        self.registry = registry
        self.invoker = invoker
        self.dlq = dlq
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.leases = leases
        self.since = host_start_time()
        self.replay_new_subscribers = replay_new_subscribers
        self.started = False  # the host finished starting (its first sidecars said hello)
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
                        since=self.start_position(),
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

    def start_position(self) -> datetime | None:
        """Where a (topic, step) consumer seen for the first time starts reading; an existing
        one keeps its position, so a restart loses nothing.

        While the host starts, the events emitted since it started (a sidecar that says hello
        late misses nothing). Afterwards, a step added while the host runs (a new file in a dev
        session, a new deployment) starts at the moment it appeared: it must not handle old
        events again (re-send the emails of old orders). The moment, not JetStream's "new", so
        an event emitted while the consumer is being created still reaches it. None (every
        stored event) when the project asks for replays (``replay_new_subscribers``).
        """
        if self.replay_new_subscribers:
            return None
        return datetime.now(UTC) if self.started else self.since

    async def start(self) -> None:
        """The host is up: steps that appear from now on start at the moment they appear."""
        self.started = True

    async def stop(self, drain_seconds: float) -> None:
        self.paused = True
        await asyncio.gather(*(c.stop(drain_seconds) for c in self.consumers.values()))
