"""Components and the runner that starts them in dependency order and stops them in reverse.

A component is anything with a ``name``, a ``stop_timeout`` (seconds) and ``async start()``
/ ``async stop()``. Two rules keep shutdown simple:

- a ``start()`` that raises leaves nothing of its own running (it undoes its own half-start),
  so the runner only ever stops components whose ``start()`` returned;
- ``stop()`` is called at most once, and only after ``start()`` returned.

Components grouped with ``Together`` start one after the other in the order given and stop
at the same time: the host uses that for its work sources, which drain side by side within
one drain period instead of one after the other.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger("stephost.lifecycle")


class Component(Protocol):
    name: str
    stop_timeout: float  # seconds stop() may take before the runner gives up on it and moves on

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Together:
    """Components that start in the order given and stop concurrently."""

    def __init__(self, *members: Component) -> None:
        self.members = members


class Lifecycle:
    """Starts components in order; stops the started ones in reverse order.

    ``start`` may be called several times (a later call's components depend on earlier
    ones); ``stop`` unwinds everything started so far, last stage first.
    """

    def __init__(self) -> None:
        self._started: list[list[Component]] = []  # stages, in start order

    @property
    def started(self) -> list[str]:
        return [c.name for stage in self._started for c in stage]

    async def start(self, *items: Component | Together) -> None:
        """Start each item in turn. If one fails, stop everything this runner started, then raise."""
        for item in items:
            stage: list[Component] = []
            self._started.append(stage)
            for component in item.members if isinstance(item, Together) else (item,):
                try:
                    await component.start()
                except BaseException:
                    log.error("%s did not start; stopping what did", component.name)
                    await self.stop()
                    raise
                stage.append(component)

    async def stop(self) -> None:
        """Stop the started components, last stage first. A failing or slow one is logged and skipped."""
        while self._started:
            stage = self._started.pop()
            await asyncio.gather(*(self._stop(c) for c in stage))

    @staticmethod
    async def _stop(component: Component) -> None:
        try:
            async with asyncio.timeout(component.stop_timeout):
                await component.stop()
        except TimeoutError:
            log.warning("%s did not stop within %gs; moving on", component.name, component.stop_timeout)
        except Exception:
            log.exception("%s failed to stop; moving on", component.name)
