"""The migrate hook: a command a version names in its own ``stephost.toml``::

    [deploy]
    migrate = "python3 migrations/run.py"
    migrate_timeout = 300  # seconds (default: deploy_phase_timeout)

The deploy runs it once, after upload and before service_deploy (while the old version still
serves), on the host running the deploy: in a fresh folder holding the version's source, with
the deployment's env plus ``STEPHOST_VERSION`` and ``STEPHOST_DEPLOYMENT_ID`` (and only the
host's PATH, HOME, locale and TMPDIR: never its secrets), in a process group of its own so a
deadline or a cancel stops whatever it started. Every output line goes to the deploy log; a
non-zero exit fails the deploy in phase ``migrate``. A rollback does not run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import tomllib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stephost_host.config import PROJECT_FILE
from stephost_host.deployments.archive import read as read_file
from stephost_wire import bundle

TABLE = "deploy"
KEYS = frozenset({"migrate", "migrate_timeout"})
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")  # from the host's environment
TAIL = 5  # output lines quoted in the error of a failed hook


class MigrateFailed(Exception):
    """The hook is malformed, exited non-zero or ran past its deadline (the message says which)."""


@dataclass(frozen=True)
class Hook:
    command: str
    timeout: float


def hook_of(source: bytes, default_timeout: float) -> Hook | None:
    """The version's migrate hook (None: it defines none), from ``[deploy]`` in its stephost.toml."""
    raw = read_file(source, PROJECT_FILE)
    if raw is None:
        return None
    try:
        table = tomllib.loads(raw.decode()).get(TABLE)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MigrateFailed(f"{PROJECT_FILE}: {exc}") from None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise MigrateFailed(f'{PROJECT_FILE}: [{TABLE}] must be a table (migrate = "command")')
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise MigrateFailed(
            f"{PROJECT_FILE}: unknown key(s) [{TABLE}] {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})"
        )
    command = table.get("migrate")
    if command is None:
        return None
    if not isinstance(command, str) or not command.strip():
        raise MigrateFailed(f"{PROJECT_FILE}: [{TABLE}] migrate must be a non-empty command string")
    timeout = table.get("migrate_timeout", default_timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise MigrateFailed(f"{PROJECT_FILE}: [{TABLE}] migrate_timeout must be a number of seconds above 0")
    return Hook(command.strip(), float(timeout))


async def run(
    hook: Hook,
    source: bytes,
    env: dict[str, str],
    *,
    version: str,
    deployment_id: str,
    on_line: Callable[[str], None],
) -> None:
    """Run the hook to its end; raises MigrateFailed naming why it did not succeed."""
    with tempfile.TemporaryDirectory(prefix="stephost-migrate-") as folder:
        await asyncio.to_thread(bundle.unpack, source, Path(folder))
        passed = {k: os.environ[k] for k in PASSED_ON if k in os.environ}
        proc = await asyncio.create_subprocess_exec(
            "sh",
            "-c",
            hook.command,
            cwd=folder,
            env={**passed, **env, "STEPHOST_VERSION": version, "STEPHOST_DEPLOYMENT_ID": deployment_id},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: a deadline or cancel kills it all
        )
        tail: deque[str] = deque(maxlen=TAIL)
        try:
            async with asyncio.timeout(hook.timeout):
                assert proc.stdout is not None
                async for raw in proc.stdout:
                    line = raw.decode(errors="replace").rstrip("\n")
                    tail.append(line)
                    on_line(line)
                code = await proc.wait()
        except TimeoutError:
            raise MigrateFailed(
                f"the migrate hook `{hook.command}` ran past its deadline of {hook.timeout:g}s and was stopped"
            ) from None
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
    if code != 0:
        said = f": {' | '.join(tail)}" if tail else " (it printed nothing)"
        raise MigrateFailed(f"the migrate hook `{hook.command}` exited with code {code}{said}")
