"""Secrets the host makes once per project and keeps (owner-only) in its state directory: the
sidecar secret and the embedded NATS token are made on first use and read back after."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from stephost_host.errors import ConfigError


def kept_secret(path: Path, what: str = "secret") -> str:
    """A random ``what`` made on first use and read back on every later one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)  # tighten a copy that was loosened since
        value = path.read_text().strip()
        if not value:
            raise ConfigError(f"{path} is empty: delete it to have the host make a new {what}") from None
        return value
    # Hex: a value pasted after `--secret` must never look like an option. URL-safe base64
    # started with "-" one time in 64, and `stephost sidecar --secret -x...` failed to parse.
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value
