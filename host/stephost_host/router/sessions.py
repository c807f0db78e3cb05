"""Who serves what: the live sidecar sessions of each step, stream and hook, per version.

Kept apart from the definitions, which outlive their sidecars: a step whose sidecar is
gone is still known (its route answers 503, not 404; its queue consumer pauses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from stephost_host.link.session import Session

Kind = Literal["step", "stream", "hook"]
Key = tuple[Kind, str, str]  # (kind, version, name)


class Serving:
    def __init__(self) -> None:
        self._table: dict[Key, list[Session]] = {}
        self._held: dict[Session, list[Key]] = {}  # what each session serves, to drop it quickly

    def of(self, kind: Kind, version: str, name: str) -> list[Session]:
        """The sessions serving it. The list is kept up to date in place, so an invoker
        waiting for a free slot sees replicas leave and join while it waits."""
        found = self._table.get((kind, version, name))
        return found if found is not None else []

    def add(self, kind: Kind, version: str, name: str, session: Session) -> None:
        key = (kind, version, name)
        sessions = self._table.setdefault(key, [])
        if session not in sessions:
            sessions.append(session)
            self._held.setdefault(session, []).append(key)

    def drop(self, session: Session) -> None:
        for key in self._held.pop(session, ()):
            self._table[key].remove(session)

    def forget(self, kind: Kind, version: str, name: str) -> None:
        """Nobody serves it any more (a reload dropped it from its sidecar's manifest)."""
        for session in self._table.pop((kind, version, name), []):
            held = self._held.get(session)
            if held is not None and (kind, version, name) in held:
                held.remove((kind, version, name))

    def held(self, session: Session, kind: Kind) -> list[str]:
        """Names of this kind the session serves."""
        return [name for k, _, name in self._held.get(session, ()) if k == kind]

    def sessions(self, version: str) -> set[Session]:
        """The live sessions serving anything in this version (readiness of a deployment)."""
        return {s for (_, v, _), sessions in self._table.items() if v == version for s in sessions}

    def versions(self) -> set[str]:
        """Versions with at least one live session."""
        return {version for (_, version, _), sessions in self._table.items() if sessions}
