"""The host's heap tuning: what exists when the host is up leaves the collector's scans, young
collections run less often, and freed heap memory goes back to the OS once the process grew."""

import asyncio
import gc

from stephost_host.memory import HeapTrim, resident_bytes
from stephost_wire import gc_pace

MB = 1024 * 1024


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector could ever free it


def tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_objects_alive_at_startup_are_frozen_and_later_ones_are_still_collected():
    kept = Node()
    threshold = gc.get_threshold()
    try:
        gc_pace.settle()
        assert gc.get_threshold() == (gc_pace.YOUNG_THRESHOLD, *threshold[1:])
        later = Node()
        assert gc.get_freeze_count() > 0
        assert not tracked(kept)  # in the permanent generation: never scanned again
        assert tracked(later)  # made after start-up: scanned and collectable as before
        del later
        assert gc.collect() >= 1  # the new cycle is still found and freed
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


async def test_heap_trim_gives_freed_memory_back_once_the_process_grew() -> None:
    """~300 MB in 100 KB blocks (under the mmap threshold: heap), every 16th kept: freeing the
    rest leaves holes below live blocks, which glibc keeps. The trimmer hands them back."""
    trim = HeapTrim(check_seconds=0.05, growth=32 * MB)
    await trim.start()
    try:
        before = resident_bytes()
        blocks = [bytearray(100_000) for _ in range(3000)]  # zero-filled: every page resident
        kept = blocks[::16]
        del blocks
        grown = resident_bytes()
        assert grown - before > 200 * MB, (before >> 20, grown >> 20)  # free() returned none of it
        deadline = asyncio.get_running_loop().time() + 20
        while not (trim.trims and resident_bytes() < grown - 150 * MB):
            assert asyncio.get_running_loop().time() < deadline, (
                trim.trims,
                grown >> 20,
                resident_bytes() >> 20,
            )
            await asyncio.sleep(0.05)
        assert len(kept) == 188  # still alive: only the freed blocks' memory went back
    finally:
        await trim.stop()
