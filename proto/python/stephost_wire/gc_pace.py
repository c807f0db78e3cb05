"""How often Python's cyclic garbage collector runs in stephost's long-lived processes (the
host, its workers and the Python sidecar), set once they have started."""

from __future__ import annotations

import gc

# Python starts a young collection every 700 container objects allocated and not yet freed.
# A busy host or sidecar makes a few for every message (dicts, tasks, futures, coroutines), so
# in the orders flow at 64 connections the host collected ~60 times a second, ~4% of its CPU,
# most of it scanning the objects of orders still in flight (alive, so scanned again on the
# next collection). Every 10,000 took a fifth of that time; the garbage cycles that wait for
# a collection are a few MB at most.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Keep everything alive now out of the collector's scans, and collect less often.

    The oldest generation's collection walks every tracked object the process holds: its
    modules, classes, FastAPI's routes, pydantic models, protobuf descriptors, the steps a
    sidecar loaded, ~100 ms a time in the host, and under load it ran every second or so,
    stalling every request in flight (the HTTP p99 at 50 connections was that pause). Frozen
    objects are never scanned again (they are almost all immortal); what later work makes is
    collected as before.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
