"""Running the commands a user types, in a shell, the way they would: ``stephost`` and the
test runners from PATH (this checkout's venv first), nothing from this pytest run's own env."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
TIMEOUT = 150  # seconds for one command: a project's own test run starts a host and its sidecars


def user_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "STEPHOST_"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return {**env, **extra}


def sh(script: str, cwd: Path, timeout: float = TIMEOUT, **env: str) -> subprocess.CompletedProcess[str]:
    """``script`` under ``bash -e``; a failure shows the script and everything it printed."""
    try:
        done = subprocess.run(
            ["bash", "-ec", script],
            cwd=cwd,
            env=user_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script!r} did not finish in {timeout}s:\n{exc.output}")
    return done


def bash_blocks(markdown: str, heading: str) -> list[str]:
    """The ```bash blocks of one section: from ``heading`` to the next heading of any level
    (a ``#`` line inside a code block is a comment, not a heading)."""
    blocks: list[str] = []
    inside, fence, lines = False, None, []
    for line in markdown.splitlines(keepends=True):
        if fence is not None:  # in a code block
            if line.startswith("```"):
                if inside and fence == "bash":
                    blocks.append("".join(lines))
                fence = None
            else:
                lines.append(line)
        elif line.startswith("```"):
            fence, lines = line[3:].strip(), []
        elif line.rstrip("\n") == heading:
            inside = True
        elif inside and re.match(r"#{1,6} ", line):
            break
    return blocks


class Terminal:
    """A command with a pseudo-terminal as its stdin/stdout (so it asks its questions), driven
    by ``expect`` (wait for text, with a deadline) and ``send`` (type a line)."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        leader, follower = pty.openpty()
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=user_env(), stdin=follower, stdout=follower, stderr=follower
        )
        os.close(follower)
        self.leader = leader
        self.screen = ""
        self.seen = 0  # where the next expect starts looking

    def _read(self, timeout: float) -> bool:
        """More output within ``timeout``; False once the command closed its terminal."""
        ready, _, _ = select.select([self.leader], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.leader, 4096)
        except OSError:  # EIO: every holder of the terminal has exited
            return False
        self.screen += chunk.decode(errors="replace")
        return bool(chunk)

    def expect(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen[self.seen :]:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                pytest.fail(f"{text!r} never showed; the screen:\n{self.screen}")
        self.seen = self.screen.index(text, self.seen) + len(text)

    def send(self, line: str) -> None:
        os.write(self.leader, line.encode() + b"\n")

    def finish(self, timeout: float = 60.0) -> int:
        """The exit code, once all output is read."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(deadline - time.monotonic()):
            pass
        try:
            return self.proc.wait(timeout=max(deadline - time.monotonic(), 1))
        finally:
            self.proc.kill()
            os.close(self.leader)
