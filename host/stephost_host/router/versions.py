"""Versions: what a registration belongs to, and a view that follows the active one.

A sidecar started against the project directory serves version ``fs`` (its hello leaves
``version`` empty); a deployment's workers say which version they run. Exactly one
version is active: it is the only one routed. The registry holds the pointer; whatever
keeps it durably (a NATS KV key changed by compare-and-set, in a later issue) watches
that key and calls ``Registry.activate`` with each value it sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

FS = "fs"

T = TypeVar("T")


def version_of(declared: str) -> str:
    """The version a hello declares; empty means the project directory."""
    return declared or FS


class ActiveView(Mapping[str, T]):
    """The table of whichever version is active, read at each access.

    Components that keep a reference (the stream store keeps the stream definitions)
    follow an activation without being told.
    """

    __slots__ = ("_active", "_tables")

    def __init__(self, tables: dict[str, dict[str, T]], active: Callable[[], str]) -> None:
        self._tables = tables
        self._active = active

    def _table(self) -> dict[str, T]:
        return self._tables.get(self._active(), {})

    def __getitem__(self, key: str) -> T:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        return f"<ActiveView {self._active()} {sorted(self._table())}>"
