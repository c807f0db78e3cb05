"""Bundles: a project tree as a deterministic gzip'd tar, and its trip over the sidecar link.

Identical content must give an identical digest (a version is content-addressed), so the
archive holds no clock, owner or umask: names are sorted, every mtime is 0, owners are
root with empty names, and modes are normalised to 0755 (directories and executables) or
0644. Crossing the link, an archive travels as ``BundleChunk`` messages of at most 1 MiB;
the last one carries the sha256 of the whole, checked before anything is unpacked.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from stephost_wire.v1 import sidecar_pb2 as pb

CHUNK_BYTES = 1 << 20
# Never packed: what a build or a run leaves behind that is not the project's.
SKIPPED = frozenset({".git", ".stephost", "__pycache__"})


class BundleError(ValueError):
    """A bundle that cannot be used: a wrong digest, a broken archive, an unsafe member."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunks(data: bytes) -> Iterator[pb.BundleChunk]:
    """The archive as link messages; the last one says the digest (an empty archive is one)."""
    total = len(data)
    for start in range(0, max(total, 1), CHUNK_BYTES):
        end = min(start + CHUNK_BYTES, total)
        last = end >= total
        yield pb.BundleChunk(data=data[start:end], last=last, digest=digest(data) if last else "")


class Assembly:
    """Collects one request's chunks; ``add`` returns the checked archive at the last one."""

    def __init__(self, limit: int = 1 << 30) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._limit = limit

    def add(self, chunk: pb.BundleChunk) -> bytes | None:
        self._size += len(chunk.data)
        if self._size > self._limit:
            raise BundleError(f"the bundle is larger than {self._limit} bytes")
        self._parts.append(chunk.data)
        if not chunk.last:
            return None
        data = b"".join(self._parts)
        found = digest(data)
        if found != chunk.digest:
            raise BundleError(f"the bundle's digest is {found}, the sender said {chunk.digest or '(none)'}")
        return data


def pack(root: Path, skip: Iterable[str] = SKIPPED) -> bytes:
    """The tree under ``root`` as a deterministic tar.gz (symlinks are kept as links)."""
    skipped = set(skip)
    buf = io.BytesIO()
    # mtime=0 and no file name in the gzip header: the same tar gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in _walk(root, skipped):
                info = tar.gettarinfo(str(path), arcname=path.relative_to(root).as_posix())
                _normalise(info)
                if info.isreg():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def _walk(root: Path, skipped: set[str]) -> Iterator[Path]:
    """Every entry under root, sorted by name at each level, directories before their content."""
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name in skipped:
            continue
        path = Path(entry.path)
        yield path
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path, skipped)


def _normalise(info: tarfile.TarInfo) -> None:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.pax_headers = {}
    executable = info.isdir() or bool(info.mode & stat.S_IXUSR)
    info.mode = 0o755 if executable else 0o644


def _safe(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    if member.name.startswith("/"):
        raise tarfile.AbsolutePathError(member)
    return tarfile.data_filter(member, dest)


def unpack(data: bytes, dest: Path) -> None:
    """Unpack into ``dest`` (created). An absolute name, a member that would land outside it,
    a device file or a link pointing out of the tree is refused (tarfile's "data" filter,
    which would otherwise strip a leading "/": every language's agent refuses it instead)."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(dest, filter=_safe)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BundleError(f"cannot unpack the bundle: {exc}") from exc
