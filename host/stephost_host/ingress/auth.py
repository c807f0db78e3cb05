"""Who may call the ingress: ``authorization: Bearer <token>`` when a token is configured.

Checking the arguments of a call is the host operations' job (``stephost_host.operations``);
this is the one check that belongs to the ingress door itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

import grpc


class Refused(Exception):
    """A call refused by the door before any operation ran."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TokenCheck:
    """``authorization: Bearer <token>`` on every Ingress call when a token is configured."""

    def __init__(self, token: str) -> None:
        self.token = token.encode()

    def __bool__(self) -> bool:
        return bool(self.token)

    def check(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> None:
        given = ""
        for key, value in metadata or ():
            if key == "authorization":
                given = value if isinstance(value, str) else value.decode(errors="replace")
                break
        if not given:
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED,
                "this host requires a token: send the metadata 'authorization: Bearer <token>' "
                "with the host's ingress_token",
            )
        scheme, _, presented = given.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED,
                "the authorization metadata must be 'Bearer <token>'",
            )
        if not hmac.compare_digest(presented.strip().encode(), self.token):
            raise Refused(grpc.StatusCode.UNAUTHENTICATED, "wrong token")
