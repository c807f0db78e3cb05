"""Give the memory of big request bodies back to the OS once they are freed.

glibc serves big allocations with mmap and unmaps them on free, but it raises that mmap
threshold to the size of every such block freed (up to 32 MB). After one burst of 15 MB
bodies, later ones come from the heap instead, where freed memory stays with the process:
a host that took 20 big requests at once kept ~300 MB for good. A fixed threshold keeps
every block past it on mmap; the extra system calls are nothing next to moving megabytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
from typing import Any

log = logging.getLogger("stephost.memory")
_M_MMAP_THRESHOLD = -3  # mallopt parameter numbers from glibc's malloc.h
MMAP_THRESHOLD = 1024 * 1024
TRIM_CHECK_SECONDS = 2.0  # how often HeapTrim reads the resident size
TRIM_GROWTH = 64 * 1024 * 1024  # a change in resident size since the last trim that makes it trim


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


def return_big_blocks() -> None:
    """Pin glibc's mmap threshold (other C libraries: nothing to do, or nothing we can)."""
    try:
        mallopt = _libc().mallopt
    except (OSError, AttributeError):  # no C library found, or musl and others: no mallopt
        return
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; big blocks may stay with the process")


def resident_bytes() -> int:
    """This process's resident set size (/proc/self/statm: pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class HeapTrim:
    """Gives freed heap memory back after the host grew (a lifecycle component).

    Blocks under MMAP_THRESHOLD come from glibc's arenas. Freed, they stay there when live
    blocks sit above them or when they are in a thread's own arena (grpc's threads have theirs),
    and glibc only ever trims the top of the main arena. After twenty 15 MB bodies at once the
    host kept 150-270 MB for good (tests/faults/test_big_bodies.py). So every
    TRIM_CHECK_SECONDS this reads the resident size, and when it has moved by TRIM_GROWTH
    (either way) since the last trim, ``malloc_trim(0)`` hands every free page back, in a thread
    (it walks every arena). A host at a steady size never trims.
    """

    name = "heap trim"
    stop_timeout = 1.0

    def __init__(self, check_seconds: float = TRIM_CHECK_SECONDS, growth: int = TRIM_GROWTH) -> None:
        self.check_seconds = check_seconds
        self.growth = growth
        self.trims = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            trim = _libc().malloc_trim
            mark = resident_bytes()
        except (OSError, AttributeError):  # not glibc, or no /proc: nothing to do, or nothing we can
            return
        self._task = asyncio.create_task(self._run(trim, mark))

    async def _run(self, trim: Any, mark: int) -> None:
        follow_up = False
        while True:
            await asyncio.sleep(self.check_seconds)
            if abs(resident_bytes() - mark) < self.growth and not follow_up:
                continue
            # Grown: heap blocks may have been freed meanwhile. Shrunk: big (mmapped) blocks
            # went back, so a burst ended, and the heap blocks it freed with them are still held.
            # Once more on the next check: what the burst's tail frees after a trim does not
            # move the resident size, so nothing else would bring it back.
            follow_up = not follow_up
            await asyncio.to_thread(trim, 0)
            self.trims += 1
            mark = resident_bytes()
            log.debug("heap trimmed: %d MB resident", mark >> 20)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
