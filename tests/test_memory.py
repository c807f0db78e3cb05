"""The host's heap tuning: what exists when the host is up leaves the collector's scans."""

import gc

from stephost_host.memory import freeze_startup_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector could ever free it


def tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_objects_alive_at_startup_are_frozen_and_later_ones_are_still_collected():
    kept = Node()
    try:
        freeze_startup_heap()
        later = Node()
        assert gc.get_freeze_count() > 0
        assert not tracked(kept)  # in the permanent generation: never scanned again
        assert tracked(later)  # made after start-up: scanned and collectable as before
        del later
        assert gc.collect() >= 1  # the new cycle is still found and freed
    finally:
        gc.unfreeze()
