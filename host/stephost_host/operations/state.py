"""State: any JSON value under a (group, key), checked before the KV store sees it."""

from __future__ import annotations

from typing import Any

from stephost_host.operations.errors import (
    StateConflict,
    StoreProblem,
    acknowledged,
    answered,
    no_problem,
    writable,
)
from stephost_host.operations.rules import Fields, Limit, check_name, parse_json
from stephost_host.state.store import StateStore


class StateOps:
    def __init__(self, store: StateStore, limit: Limit, problem: StoreProblem = no_problem) -> None:
        self.store = store
        self.limit = limit  # the NATS server's, unless a door passes a smaller one
        self.problem = problem

    async def get(self, group: str, key: str, fields: Fields) -> Any:
        return await answered(
            self.store.get(check_name(group, "group", fields), check_name(key, "key", fields))
        )

    async def set(
        self, group: str, key: str, value_json: str, fields: Fields, limit: Limit | None = None
    ) -> Any:
        group, key = check_name(group, "group", fields), check_name(key, "key", fields)
        value = parse_json(value_json, "value", fields, limit or self.limit)
        writable(self.problem)
        return await acknowledged(self.store.set(group, key, value))

    async def get_revision(self, group: str, key: str, fields: Fields) -> tuple[Any, int]:
        """(value, revision); (None, 0) when there is no value. The revision is what
        ``set_if`` expects back to write only if nobody wrote in between."""
        return await answered(
            self.store.get_revision(check_name(group, "group", fields), check_name(key, "key", fields))
        )

    async def set_if(
        self,
        group: str,
        key: str,
        value_json: str,
        expected: int | None,
        fields: Fields,
        limit: Limit | None = None,
    ) -> tuple[Any, int]:
        """Compare-and-set, the one rule both doors use: store the value only if the key's
        revision is still ``expected`` (0: the key must have no value; None: no check).
        (value, new revision); a moved revision is ``StateConflict`` and nothing is written."""
        group, key = check_name(group, "group", fields), check_name(key, "key", fields)
        value = parse_json(value_json, "value", fields, limit or self.limit)
        writable(self.problem)
        revision = await acknowledged(self.store.set_if(group, key, value, expected))
        if revision is None:
            raise StateConflict(
                f"state {group!r}/{key!r} changed since revision {expected} was read (another writer "
                "got there first); nothing was written: read the value and its revision again and retry "
                "(state.update does this for you)"
            )
        return value, revision

    async def delete(self, group: str, key: str, fields: Fields) -> Any:
        """The old value (None if there was none)."""
        writable(self.problem)
        return await acknowledged(
            self.store.delete(check_name(group, "group", fields), check_name(key, "key", fields))
        )

    async def groups(self) -> dict[str, list[str]]:
        """Every group and its keys, sorted (what the Workbench browses)."""
        found: dict[str, list[str]] = {}
        for group, key in sorted(await answered(self.store.keys())):
            found.setdefault(group, []).append(key)
        return found

    async def get_group(self, group: str, fields: Fields) -> list[Any]:
        return await answered(self.store.get_group(check_name(group, "group", fields)))

    async def clear(self, group: str, fields: Fields) -> None:
        writable(self.problem)
        await acknowledged(self.store.clear(check_name(group, "group", fields)))
