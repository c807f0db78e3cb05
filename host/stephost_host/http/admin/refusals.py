"""An operation's refusal as the admin API's HTTP error: one status per kind of refusal."""

from __future__ import annotations

from fastapi import HTTPException

from stephost_host.operations import (
    InvalidArgument,
    NotFound,
    OperationError,
    PermissionDenied,
    StateConflict,
    Unauthenticated,
    Unavailable,
)

_STATUS = {
    InvalidArgument: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    StateConflict: 409,
    Unavailable: 503,
}


def http_error(exc: OperationError) -> HTTPException:
    return HTTPException(next((s for k, s in _STATUS.items() if isinstance(exc, k)), 500), str(exc))
