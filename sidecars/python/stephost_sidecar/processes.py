"""Child processes of an agent (builds, workers): each in a process group of its own, its
output read line by line, and the whole group killed when it must stop.

A group, not a pid: a build's `pip` or a worker's own children die with it. The children
also get SIGTERM from Linux when the agent dies without cleaning up (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1
TAIL_LINES = 20  # stderr lines kept to say why a process failed


def _on_agent_death() -> None:
    """preexec_fn: ask Linux for SIGTERM when the agent (our parent) dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Group:
    """One child process leading its own process group."""

    def __init__(self, proc: asyncio.subprocess.Process, on_line: Callable[[str, str], None]) -> None:
        self.proc = proc
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)  # the last stderr lines
        self.lines: deque[str] = deque(maxlen=TAIL_LINES)  # the last lines of either stream
        self._readers = [
            asyncio.ensure_future(self._read(proc.stdout, "stdout", on_line)),
            asyncio.ensure_future(self._read(proc.stderr, "stderr", on_line)),
        ]

    @classmethod
    async def spawn(
        cls,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: dict[str, str],
        on_line: Callable[[str, str], None],
    ) -> Group:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_on_agent_death,
            limit=1 << 20,
        )
        return cls(proc, on_line)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def _read(
        self, stream: asyncio.StreamReader | None, name: str, on_line: Callable[[str, str], None]
    ) -> None:
        if stream is None:
            return
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line beyond the limit: take what there is
                raw = await stream.read(1 << 20)
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            if name == "stderr":
                self.tail.append(line)
            on_line(line, name)

    async def wait(self) -> int:
        """The exit code (negative: the signal that ended it), after all its output was read."""
        code = await self.proc.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)
        return code

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def alive(self) -> bool:
        """Some process of the group still runs (the leader may be gone, its children not)."""
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    async def stop(self, grace: float) -> int:
        """SIGTERM the group, SIGKILL it after ``grace`` seconds; wait until none of it is left."""
        self.signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(asyncio.shield(self.proc.wait()), grace)
        except TimeoutError:
            code = None
        self.signal(signal.SIGKILL)  # the leader's children too, even when it left in time
        if code is None:
            code = await self.proc.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)
        # Members other than the leader are not ours to reap: wait (bounded: a killed one may
        # linger as a zombie where nothing reaps orphans) until the kernel says they are gone.
        for _ in range(250):
            if not self.alive():
                break
            await asyncio.sleep(0.02)
        return code

    async def kill(self) -> None:
        await self.stop(0)
