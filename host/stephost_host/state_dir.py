"""Where a host keeps its state (embedded NATS data, runtime.json, the secret, the project's
venv) when no ``state_dir`` is set. Apart from config.py, so the client commands that only look
for a running host's runtime.json (`stephost emit`, `dlq`, `sidecar`) start without loading the
settings model."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

STATE_DIR_NAME = ".stephost"


def writable(path: Path) -> bool:
    """``path`` is a folder this process can write into, or one it could create (mkdir -p)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent  # the nearest existing ancestor decides whether mkdir would work
    # os.access also answers EROFS: a read-only mount is not writable, even for root.
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def user_state_dir(project: Path) -> Path | None:
    """``$XDG_STATE_HOME/stephost/<name>-<hash>`` (``~/.local/state/...``): one folder per project path.

    None when this user has no home to put it in (a bare container user without HOME).
    """
    project = project.resolve()
    xdg = os.environ.get("XDG_STATE_HOME")
    try:
        base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    except RuntimeError:  # no HOME and no passwd entry
        return None
    digest = hashlib.sha256(str(project).encode()).hexdigest()[:12]
    return base / "stephost" / f"{project.name or 'root'}-{digest}"


def default_state_dir(project: Path) -> Path:
    """Where a host keeps its state when no state_dir is set (and where `stephost emit` looks).

    ``<project>/.stephost`` when the project can be written to; for a read-only project (a
    container mounting it ``:ro``) the per-user folder of ``user_state_dir``.
    """
    inside = project.resolve() / STATE_DIR_NAME
    if writable(inside):
        return inside
    return user_state_dir(project) or inside
