"""State: any JSON value under a (group, key), checked before the KV store sees it."""

from __future__ import annotations

from typing import Any

from stephost_host.operations.errors import StoreProblem, acknowledged, answered, no_problem, writable
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

    async def delete(self, group: str, key: str, fields: Fields) -> Any:
        """The old value (None if there was none)."""
        writable(self.problem)
        return await acknowledged(
            self.store.delete(check_name(group, "group", fields), check_name(key, "key", fields))
        )

    async def get_group(self, group: str, fields: Fields) -> list[Any]:
        return await answered(self.store.get_group(check_name(group, "group", fields)))

    async def clear(self, group: str, fields: Fields) -> None:
        writable(self.problem)
        await acknowledged(self.store.clear(check_name(group, "group", fields)))
