"""How a long-running stephost process is told to stop: SIGINT or SIGTERM starts a graceful
stop; a second one exits at once, so a stuck shutdown can always be cut short."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stephost_host.app import Host


class StopSignals:
    """Installed on the running loop when made: before a host starts, so a signal that comes
    while it starts is kept and acted on once the start is done."""

    def __init__(self, *, repeat_forces_exit: bool = True) -> None:
        """``repeat_forces_exit=False``: a worker of `stephost start --workers N`, which may get
        SIGTERM twice (from a supervisor signalling the whole group, and from its manager); its
        manager kills it if it does not stop in time."""
        self.event = asyncio.Event()
        self.repeat_forces_exit = repeat_forces_exit
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal)

    def _on_signal(self) -> None:
        if self.event.is_set() and self.repeat_forces_exit:
            print("stephost: forced exit", file=sys.stderr)
            os._exit(1)
        self.event.set()

    async def wait(self) -> None:
        await self.event.wait()


async def serve(host: Host, *, repeat_forces_exit: bool = True) -> int:
    """Run a host until told to stop, then stop it gracefully."""
    stop = StopSignals(repeat_forces_exit=repeat_forces_exit)
    await host.start()  # a failed start stops what did start before it raises
    await stop.wait()
    await host.stop()
    return 0
