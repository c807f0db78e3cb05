"""What a running host shares with the sidecars and tools on its machine: the host's secret
(``<state_dir>/secret`` when generated), and ``runtime.json`` (where the host can be reached,
for `stephost emit`, `stephost dlq` and tests)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stephost_host.errors import ConfigError
from stephost_host.secret_files import kept_secret

if TYPE_CHECKING:  # local tools read the secret without loading the settings model
    from stephost_host.config import Settings

SECRET_FILE = "secret"
RUNTIME_FILE = "runtime.json"


@dataclass(frozen=True)
class Secret:
    """The host's secret: sidecars present it in their hello, admin clients as a bearer token."""

    value: str
    origin: str  # for the start-up log: configured, or the file a generated one is kept in


def sidecar_secret(s: Settings) -> Secret:
    """The configured secret, or one generated for the project and kept in its state directory.

    There is no mode without one: an empty secret would let any local process register steps
    and read, replay or discard dead letters. A generated one is reused across restarts, so
    `stephost sidecar`, `stephost dlq` and sidecars in other containers (STEPHOST_SECRET) can
    find it. Beyond loopback a configured secret is required: every sidecar must be given it.
    """
    if s.secret:
        return Secret(s.secret, "configured (secret, STEPHOST_SECRET)")
    if not s.is_loopback(s.sidecar_host):
        raise ConfigError(
            f"sidecar_host={s.sidecar_host!r} listens beyond loopback, so a secret is required: "
            "set STEPHOST_SECRET (or `secret` in stephost.toml) and give the same one to every sidecar"
        )
    path = s.runtime_dir / SECRET_FILE
    return Secret(kept_secret(path), f"generated, kept in {path}")


def find_secret(state_dir: Path) -> str:
    """For local tools: the secret a host generated for this state directory ("" if none)."""
    try:
        return (state_dir / SECRET_FILE).read_text().strip()
    except OSError:
        return ""


class RuntimeFile:
    """Writes runtime.json (owner-only) once everything is up; removes it when shutdown begins."""

    name = RUNTIME_FILE
    stop_timeout = 1.0

    def __init__(
        self, state_dir: Path, describe: Callable[[], dict[str, Any]], file: str = RUNTIME_FILE
    ) -> None:
        self.path = state_dir / file  # a worker's goes where its manager reads it (workers/)
        self.describe = describe  # read at start, when every port is bound

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed into place: the testers and `stephost emit` read it as soon
        # as it exists, and must never see it empty or half-written.
        partial = self.path.with_name(self.path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.describe(), f)
        os.replace(partial, self.path)

    async def stop(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
