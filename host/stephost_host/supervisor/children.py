"""Child processes (nats-server, sidecars) run in their own process group so a terminal's
Ctrl-C reaches only the host, which stops them in order. The price is that they would
outlive a host that is SIGKILLed; ``die_with_parent`` asks Linux to signal them then."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys

log = logging.getLogger("stephost.supervisor")
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when the host process dies (Linux only, else a no-op)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def terminate(proc: asyncio.subprocess.Process, grace: float, what: str) -> None:
    """SIGTERM the child's process group; SIGKILL it if it is still there after ``grace``
    seconds (``what`` names it in the log)."""
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), grace)
    except ProcessLookupError:
        return
    except TimeoutError:
        log.warning("%s ignored SIGTERM for %gs; killing it", what, grace)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        await proc.wait()
