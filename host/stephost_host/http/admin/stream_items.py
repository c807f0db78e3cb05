"""Stream groups and items for the Workbench, read as the admin (the stream auth that guards
``/streams/...`` for clients is for the project's users, not for its operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from stephost_host.operations.streams import StreamOps
from stephost_host.streams.store import UnknownStream


def router(ops: StreamOps) -> APIRouter:
    api = APIRouter(prefix="/stream-groups")

    @api.get("")
    async def groups() -> dict[str, list[str]]:
        """Every defined stream and its groups that hold items."""
        return await ops.streams.groups()

    @api.get("/{stream}/{group}")
    async def items(stream: str, group: str) -> list[Any]:
        try:
            return await ops.streams.get_group(stream, group)
        except UnknownStream as exc:
            raise HTTPException(404, str(exc)) from None

    return api
