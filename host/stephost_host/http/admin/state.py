"""State for the Workbench: browse groups and keys, read, write and delete values.

A door onto ``operations/state.py`` like the sidecar link and the ingress: the same name
checks, payload limit and refusals, so what the page writes is what a handler reads back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from stephost_host.http.admin.refusals import http_error
from stephost_host.operations import Fields, OperationError
from stephost_host.operations.state import StateOps

URL_FIELDS = Fields({"value": "request body"})


def router(state: StateOps) -> APIRouter:
    api = APIRouter(prefix="/state")

    async def run(op: Any) -> Any:
        try:
            return await op
        except OperationError as exc:
            raise http_error(exc) from None

    @api.get("")
    async def groups() -> dict[str, list[str]]:
        """Every group and its keys."""
        return await run(state.groups())

    @api.get("/{group}")
    async def group(group: str) -> list[Any]:
        """The group's values."""
        return await run(state.get_group(group, URL_FIELDS))

    @api.get("/{group}/{key}")
    async def get(group: str, key: str) -> dict[str, Any]:
        """``{"value", "revision"}``; revision 0 and value null when the key holds nothing."""
        value, revision = await run(state.get_revision(group, key, URL_FIELDS))
        return {"value": value, "revision": revision}

    @api.put("/{group}/{key}")
    async def put(group: str, key: str, request: Request) -> dict[str, Any]:
        """Store the request body (any JSON value) under the key."""
        body = (await request.body()).decode("utf-8", errors="replace")
        return {"value": await run(state.set(group, key, body, URL_FIELDS))}

    @api.delete("/{group}/{key}")
    async def delete(group: str, key: str) -> dict[str, Any]:
        """Delete the key; answers the value it held (null if none)."""
        return {"deleted": await run(state.delete(group, key, URL_FIELDS))}

    return api
