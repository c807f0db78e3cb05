"""The one admin token check: ``Authorization: Bearer <the host's secret>``."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Depends, Header, HTTPException


def bearer(authorization: str | None) -> str:
    return (authorization or "").removeprefix("Bearer ").strip()


def host_secret(secret: str) -> Any:
    """A router dependency that lets a request through only with the host's secret (or when
    the host has none: a loopback host without supervised sidecars)."""

    async def check(authorization: str | None = Header(default=None)) -> None:
        if secret and not hmac.compare_digest(bearer(authorization).encode(), secret.encode()):
            raise HTTPException(
                401, "this endpoint needs 'Authorization: Bearer <secret>' (the host's secret)"
            )

    return Depends(check)
