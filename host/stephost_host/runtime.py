"""What a running host shares with the sidecars and tools on its machine: the sidecar secret,
and ``runtime.json`` (where the host can be reached, for `stephost emit`, `stephost dlq` and
tests)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stephost_host.config import ConfigError, Settings


def sidecar_secret(s: Settings) -> str:
    """The secret sidecars must present: the configured one, or one minted for supervised children.

    Beyond loopback a configured secret is required: anyone who can reach the port could
    otherwise register steps.
    """
    if s.secret:
        return s.secret
    if not s.is_loopback(s.sidecar_host):
        raise ConfigError(
            f"sidecar_host={s.sidecar_host!r} listens beyond loopback, so a secret is required: "
            "set STEPHOST_SECRET (or `secret` in stephost.toml) and give the same one to every sidecar"
        )
    # Children get it in their environment; nobody else on the machine can register steps.
    return secrets.token_urlsafe(24) if s.supervise else ""


class RuntimeFile:
    """Writes runtime.json (owner-only) once everything is up; removes it when shutdown begins."""

    name = "runtime.json"
    stop_timeout = 1.0

    def __init__(self, state_dir: Path, describe: Callable[[], dict[str, Any]]) -> None:
        self.path = state_dir / "runtime.json"
        self.describe = describe  # read at start, when every port is bound

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.describe(), f)

    async def stop(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
