"""ctx.state.update's retry loop, against a channel that answers the compare-and-set like
the host does (the real thing runs in tests/faults/test_atomic_state.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stephost import context as sdk_context
from stephost.errors import HostCallError
from stephost_sidecar.context import context_for
from stephost_sidecar.proto import pb


class RevisionChannel:
    """State with revisions; ``rival_writes`` other writers slip in after each read."""

    def __init__(self, loop: asyncio.AbstractEventLoop, rival_writes: int) -> None:
        self.loop = loop
        self.value: Any = None
        self.revision = 0
        self.rival_writes = rival_writes

    async def state(
        self, invocation_id: str, op: str, group: str, key: str = "", value: Any = None, revision: int = 0
    ) -> Any:
        if op == "get_revision":
            read = {"value": self.value, "revision": self.revision}
            if self.rival_writes:
                self.rival_writes -= 1
                self.value, self.revision = (self.value or 0) + 100, self.revision + 1
            return read
        assert op == "set_if_revision"
        if revision != self.revision:
            raise HostCallError("StateConflict", f"changed since revision {revision}")
        self.value, self.revision = value, self.revision + 1
        return {"value": value, "revision": self.revision}


def ctx_on(channel: RevisionChannel) -> Any:
    return context_for(pb.Invocation(invocation_id="i", step="s"), channel)  # type: ignore[arg-type]


async def test_update_reruns_fn_on_the_fresh_value_after_a_conflict() -> None:
    channel = RevisionChannel(asyncio.get_running_loop(), rival_writes=2)
    seen: list[Any] = []

    def bump(old: Any) -> int:
        seen.append(old)
        return int(old or 0) + 1

    assert await ctx_on(channel).state.update("g", "k", bump) == 201
    assert seen == [None, 100, 200]  # two lost races, then a write on the value that won


async def test_update_gives_up_with_state_conflict_after_its_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sdk_context, "UPDATE_ATTEMPTS", 3)
    channel = RevisionChannel(asyncio.get_running_loop(), rival_writes=10)
    with pytest.raises(HostCallError) as raised:
        await ctx_on(channel).state.update("g", "k", lambda old: 1)
    assert raised.value.type == "StateConflict" and "3 times in a row" in str(raised.value)
    assert channel.rival_writes == 7  # three reads, no more
