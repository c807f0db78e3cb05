"""The source archive: a project folder as one deterministic tar.gz, and its digest.

The same files give the same bytes (sorted names, no times, owners or extra mode bits, gzip
without a timestamp), so the sha256 of the archive is the version's identity: deploying
unchanged content twice builds nothing new and uploads nothing new.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

from stephost_host.config import STATE_DIR_NAME

# Never part of a version: dependencies are installed by the build, state is the host's.
SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", STATE_DIR_NAME, ".deps"})
SKIP_SUFFIXES = (".pyc",)


class ArchiveError(ValueError):
    """The folder cannot be packed (the message names it and why)."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files(root: Path) -> list[Path]:
    """Every file of the project that belongs in its source, relative, in sorted order."""
    out: list[Path] = []
    for here, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        base = Path(here).relative_to(root)
        out.extend(base / n for n in names if not n.endswith(SKIP_SUFFIXES))
    return sorted(out, key=lambda p: p.as_posix())


def pack(root: Path, max_bytes: int) -> bytes:
    """The project at ``root`` as a deterministic tar.gz, at most ``max_bytes`` long."""
    if not root.is_dir():
        raise ArchiveError(f"{root}: not a directory")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in files(root):
            path = root / rel
            if path.is_symlink() or not path.is_file():
                continue  # a link could point outside the project; sockets and fifos are no source
            info = tarfile.TarInfo(rel.as_posix())
            info.size = path.stat().st_size
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.mtime = 0
            with path.open("rb") as f:
                tar.addfile(info, f)
    packed = gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)
    if len(packed) > max_bytes:
        raise ArchiveError(
            f"{root}: the source archive is {len(packed)} bytes, over the {max_bytes}-byte cap "
            "(deploy_max_bundle_bytes); keep build output and data files out of the project folder"
        )
    return packed


def names(archive: bytes) -> dict[str, int]:
    """File name -> size inside an archive (which languages a version needs, step file sizes)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            return {m.name: m.size for m in tar.getmembers() if m.isfile()}
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"the uploaded source is not a tar.gz archive: {exc}") from None
