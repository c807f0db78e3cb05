"""Traces for the Workbench: the recent ones, and one with its spans and logs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from stephost_host.observe.reader import Observed


def router(observed: Observed) -> APIRouter:
    api = APIRouter(prefix="/traces")

    @api.get("")
    async def traces(limit: int = Query(100, ge=1, le=1000), step: str = "") -> list[dict[str, Any]]:
        """The most recent traces (newest first), optionally those a step took part in."""
        return await observed.traces(limit, step)

    @api.get("/{trace_id}")
    async def trace(trace_id: str) -> dict[str, Any]:
        """Every span of the trace (one per invocation, retries included) and its log records."""
        found = await observed.trace(trace_id)
        if found is None:
            raise HTTPException(404, f"no spans are kept for trace {trace_id!r}")
        return found

    return api
