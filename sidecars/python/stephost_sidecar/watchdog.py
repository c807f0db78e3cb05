"""Names the step that blocks the handlers' event loop.

An ``async def`` handler that calls ``time.sleep`` (or loops without awaiting) stops every
other async handler in this sidecar and its stream to the host. ``liveness.py`` keeps the
host from dropping the sidecar meanwhile, but the author needs to know which step did it. A task on the handlers' loop
touches a timestamp every ``interval``; a thread checks it, and when the loop has not
ticked for ``threshold`` it reads the loop thread's stack to find the step file running
there, and logs one warning (mirrored into the host log). When the loop runs again it logs
how long the block lasted.

Setting: ``STEPHOST_BLOCK_WARN_MS`` (default 1000; 0 turns the watchdog off).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType

log = logging.getLogger("stephost.sidecar")
ENV = "STEPHOST_BLOCK_WARN_MS"
DEFAULT_MS = 1000


def threshold_from_env(env: Mapping[str, str]) -> float:
    """Seconds a loop may go without ticking before the warning; 0 = off."""
    raw = env.get(ENV, "").strip()
    if not raw:
        return DEFAULT_MS / 1000
    try:
        ms = int(raw)
        if ms < 0:
            raise ValueError
    except ValueError:
        log.warning("%s=%r is not a whole number of milliseconds >= 0; using %d", ENV, raw, DEFAULT_MS)
        return DEFAULT_MS / 1000
    return ms / 1000


class Watchdog:
    def __init__(
        self,
        step_files: Mapping[str, tuple[str, str]],
        running: Callable[[], dict[str, tuple[str, float]]],
        threshold: float,
    ) -> None:
        """``step_files``: absolute path -> (step name, project-relative path);
        ``running``: invocation id -> (step, monotonic start), read from the watchdog's thread."""
        self.step_files = dict(step_files)
        self.running = running
        self.threshold = threshold
        self.interval = max(threshold / 4, 0.01)
        self._tick = time.monotonic()
        self._loop_thread = threading.get_ident()
        self._stop = threading.Event()
        self._ticker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Call on the handlers' loop."""
        if self.threshold <= 0:
            return
        self._loop_thread = threading.get_ident()
        self._ticker = asyncio.get_running_loop().create_task(self._ticks())
        threading.Thread(target=self._watch, name="stephost-watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.cancel()

    async def _ticks(self) -> None:
        while True:
            self._tick = time.monotonic()
            await asyncio.sleep(self.interval)

    def _watch(self) -> None:
        blocked_since = 0.0  # the last tick before the current block; 0 while the loop runs
        while not self._stop.wait(self.interval):
            tick = self._tick
            late = time.monotonic() - tick
            if blocked_since and tick != blocked_since:
                log.warning("the event loop ran again after being blocked for %.1fs", tick - blocked_since)
                blocked_since = 0.0
            if not blocked_since and late > self.threshold + self.interval:
                blocked_since = tick
                log.warning(self.describe(late))

    def describe(self, late: float) -> str:
        """The warning: who blocks the loop (from its stack), and what is in flight."""
        frame = sys._current_frames().get(self._loop_thread)
        where = self._culprit(frame)
        now = time.monotonic()
        try:
            running = dict(self.running())
        except RuntimeError:  # changed while copied; the stack says enough
            running = {}
        in_flight = ", ".join(
            f"{step} ({inv}, {now - started:.1f}s)" for inv, (step, started) in sorted(running.items())
        )
        return (
            f"the event loop has been blocked for {late:.1f}s {where}"
            + (f"; in flight: {in_flight}" if in_flight else "")
            + "; every other async handler waits meanwhile: an async handler must await instead of"
            " blocking (asyncio.sleep, asyncio.to_thread for blocking calls) or be a plain def"
        )

    def _culprit(self, frame: FrameType | None) -> str:
        innermost = f"at {frame.f_code.co_filename}:{frame.f_lineno}" if frame else ""
        while frame is not None:
            found = self.step_files.get(frame.f_code.co_filename)
            if found:
                step, rel = found
                return f"by step {step!r} ({rel}:{frame.f_lineno} in {frame.f_code.co_name})"
            frame = frame.f_back
        return innermost or "(no step file on the stack)"
