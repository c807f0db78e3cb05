"""Which steps take a topic in order per message group, cached until the steps change."""

from __future__ import annotations

from stephost_host.router.registry import Registry
from stephost_host.steps.models import EventStep


def fifo_subscribers(registry: Registry, topic: str) -> list[str]:
    """Steps that take this topic in order per messageGroupId."""
    return sorted(
        e.name
        for e in registry.of_type(EventStep)
        if isinstance(e.config, EventStep)
        and e.config.infrastructure.queue.type == "fifo"
        and topic in e.config.subscribes
    )


class FifoSubscribers:
    """``fifo_subscribers`` per topic, asked once per topic until a step registers or leaves."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._known: dict[str, list[str]] = {}
        registry.on_change(self._known.clear)

    def __call__(self, topic: str) -> list[str]:
        found = self._known.get(topic)
        if found is None:
            found = self._known[topic] = fifo_subscribers(self.registry, topic)
        return found
