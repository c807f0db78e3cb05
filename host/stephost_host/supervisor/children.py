"""Child processes (nats-server, sidecars) run in their own process group so a terminal's
Ctrl-C reaches only the host, which stops them in order. The price is that they would
outlive a host that is SIGKILLed; ``die_with_parent`` asks Linux to signal them then."""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when the host process dies (Linux only, else a no-op)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
