"""Where step and stream files live in a project (the host and the Python sidecar share it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

STEP_DIRS = ("steps", "src")
SKIP_DIRS = {"node_modules", "__pycache__"}


def project_files(root: Path, pattern: re.Pattern[str] | None = None) -> list[Path]:
    """Files under steps/ and src/ (recursively, skipping dependency and dot folders) whose name
    matches, in sorted path order."""
    found: list[Path] = []
    for top in STEP_DIRS:
        base = root / top
        if base.is_dir():
            found.extend(p for p in _walk(base) if pattern is None or pattern.match(p.name))
    return sorted(found)


def _walk(base: Path) -> Iterator[Path]:
    for entry in base.iterdir():
        if entry.is_dir():
            if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                yield from _walk(entry)
        elif entry.is_file():
            yield entry
