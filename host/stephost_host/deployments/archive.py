"""The source archive: a project folder as one deterministic tar.gz, and its digest.

The same files give the same bytes (``stephost_wire.bundle.pack``: sorted names, no times,
owners or extra mode bits), so the sha256 of the archive is the version's identity:
deploying unchanged content twice builds nothing new and uploads nothing new. What a build
installs (dependencies) and what the host keeps (state) is never part of the source.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stephost_host.state_dir import STATE_DIR_NAME
from stephost_wire import bundle

SKIP_DIRS = frozenset({*bundle.SKIPPED, "node_modules", ".venv", "venv", ".deps", STATE_DIR_NAME})
digest = bundle.digest


class ArchiveError(ValueError):
    """The folder or archive cannot be used (the message names it and why)."""


def pack(root: Path, max_bytes: int) -> bytes:
    """The project at ``root`` as a deterministic tar.gz, at most ``max_bytes`` long."""
    if not root.is_dir():
        raise ArchiveError(f"{root}: not a directory")
    packed = bundle.pack(root, SKIP_DIRS)
    if len(packed) > max_bytes:
        raise ArchiveError(
            f"{root}: the source archive is {len(packed)} bytes, over the {max_bytes}-byte cap "
            "(deploy_max_bundle_bytes); keep build output and data files out of the project folder"
        )
    return packed


@contextmanager
def _opened(archive: bytes) -> Iterator[tarfile.TarFile]:
    """The archive open for reading; a broken one (at open or while read) is an ArchiveError."""
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            yield tar
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"the source is not a tar.gz archive: {exc}") from None


def names(archive: bytes) -> dict[str, int]:
    """File name -> size inside an archive (which languages a version needs, step file sizes)."""
    with _opened(archive) as tar:
        return {m.name: m.size for m in tar.getmembers() if m.isfile()}


def read(archive: bytes, name: str) -> bytes | None:
    """One file of an archive (None: not there), e.g. the version's own stephost.toml."""
    with _opened(archive) as tar:
        try:
            member = tar.getmember(name)
        except KeyError:
            return None
        found = tar.extractfile(member) if member.isfile() else None
        return found.read() if found is not None else None
