"""Dead letters: list, show, replay, discard (``stephost dlq`` is the client)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from stephost_host.queue.dlq import DeadLetters, NoSuchDeadLetter


class DeadLetterSelection(BaseModel):
    """Which dead letters: by id, every one of a step, or all of them."""

    ids: list[int] | None = None
    step: str | None = None
    all: bool = False


def router(dlq: DeadLetters) -> APIRouter:
    api = APIRouter(prefix="/dlq")

    @api.get("")
    async def dead_letters(step: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        return await dlq.records(step, limit)

    @api.get("/{dead_id}")
    async def dead_letter(dead_id: int) -> dict[str, Any]:
        try:
            return await dlq.show(dead_id)
        except NoSuchDeadLetter as exc:
            raise HTTPException(404, str(exc)) from None

    async def chosen(sel: DeadLetterSelection) -> list[dict[str, Any]]:
        try:
            return await dlq.select(sel.ids, sel.step, sel.all)
        except NoSuchDeadLetter as exc:
            raise HTTPException(404, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(
                400, f'{exc}: e.g. {{"ids": [3]}}, {{"step": "x"}} or {{"all": true}}'
            ) from None

    @api.post("/replay")
    async def replay(sel: DeadLetterSelection) -> dict[str, Any]:
        return {"replayed": await dlq.replay(await chosen(sel))}

    @api.post("/discard")
    async def discard(sel: DeadLetterSelection) -> dict[str, Any]:
        return {"discarded": await dlq.discard(await chosen(sel))}

    return api
