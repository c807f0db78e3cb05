"""What the per-project installers share (python_env.py, ruby_env.py): the error they raise,
running the installer with its output as progress lines, and the stamp that says whether
an environment matches the files it was built from."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import subprocess
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

Say = Callable[[str], None]  # where progress lines go (stdout for `stephost install`, the log for dev)
TAIL = 15  # lines of the installer's output an error carries


class InstallError(Exception):
    """Installing a project's dependencies failed; the message names the file and the cause."""


def run_streaming(
    cmd: list[str], cwd: Path, say: Say, env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run an installer, passing each output line to ``say``; (exit code, its last lines)."""
    tail: deque[str] = deque(maxlen=TAIL)
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        return 127, f"cannot run {cmd[0]}: {exc.strerror}"
    assert proc.stdout
    for raw in proc.stdout:
        line = raw.rstrip()
        if line:
            tail.append(line)
            say(f"  {line}")
    return proc.wait(), "\n".join(tail)


def digest(parts: Iterable[str | bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)  # length-prefixed: no two lists collide
    return h.hexdigest()


def stamped(stamp: Path, value: str) -> bool:
    """The environment was last built from inputs with this digest."""
    try:
        return stamp.read_text().strip() == value
    except OSError:
        return False


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """One installer at a time per state dir (two hosts, or a host and `stephost install`,
    starting together): the second waits, then finds the environment up to date."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
