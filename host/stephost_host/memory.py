"""Give the memory of big request bodies back to the OS once they are freed.

glibc serves big allocations with mmap and unmaps them on free, but it raises that mmap
threshold to the size of every such block freed (up to 32 MB). After one burst of 15 MB
bodies, later ones come from the heap instead, where freed memory stays with the process:
a host that took 20 big requests at once kept ~300 MB for good. A fixed threshold keeps
every block past it on mmap; the extra system calls are nothing next to moving megabytes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger("stephost.memory")
_M_MMAP_THRESHOLD = -3  # mallopt parameter numbers from glibc's malloc.h
MMAP_THRESHOLD = 1024 * 1024


def return_big_blocks() -> None:
    """Pin glibc's mmap threshold (other C libraries: nothing to do, or nothing we can)."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; big blocks may stay with the process")


def freeze_startup_heap() -> None:
    """Keep everything alive once the host is up out of the cyclic collector's scans.

    The collector's oldest generation walks every tracked object the process holds: the host's
    modules, FastAPI's routes, pydantic models, protobuf descriptors and the like, ~100 ms a
    time on this code, and under load it ran every second or so. Each run stalled every request
    in flight (the HTTP p99 at 50 connections was that pause). Frozen objects are never scanned
    again (they are almost all immortal: modules, classes, settings); what later requests make
    is collected as before.
    """
    gc.collect()
    gc.freeze()
