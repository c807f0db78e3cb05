"""When to try a failed event again."""

from __future__ import annotations

import random


def retry_delay(attempt: int, base: float, cap: float, requested: float = 0.0) -> float:
    """Exponential backoff with jitter; a delay the handler asked for wins.

    attempt is the attempt that just failed (1-based): waits ~base, 2*base, 4*base, ...
    Jitter (±20%) keeps many failing events from retrying in lockstep.
    """
    if requested > 0:
        return min(requested, cap)
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay * random.uniform(0.8, 1.2)
