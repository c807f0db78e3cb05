"""Who may do what with deployments: bearer tokens with read / write / activate scopes.

``read`` sees records and logs, ``write`` creates, uploads, starts and cancels deploys,
``activate`` changes which version serves (promote, rollback, and a deploy that promotes
itself). The host's secret holds every scope; ``deploy_tokens`` adds narrower ones as
``TOKEN`` (every scope) or ``TOKEN:read+write``. Tokens are kept only as hashes and compared
in constant time. The deploy API always needs a token, on loopback too: it changes what runs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from enum import StrEnum


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ACTIVATE = "activate"


ALL = frozenset(Scope)


class Denied(Exception):
    """401 (no or unknown token) or 403 (a token without the scope)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def parse_token(entry: str) -> tuple[str, frozenset[Scope]]:
    """``TOKEN`` or ``TOKEN:scope+scope``; ValueError names what is wrong."""
    token, _, spec = entry.strip().partition(":")
    if not token:
        raise ValueError("a deploy token entry is empty")
    if not spec:
        return token, ALL
    scopes = set()
    for name in spec.split("+"):
        try:
            scopes.add(Scope(name.strip()))
        except ValueError:
            raise ValueError(
                f"deploy token scope {name!r}: expected {', '.join(s.value for s in Scope)} joined by +"
            ) from None
    return token, frozenset(scopes)


class DeployAuth:
    def __init__(self, secret: str, tokens: Iterable[str] = ()) -> None:
        self._tokens: list[tuple[bytes, frozenset[Scope]]] = [(_hash(secret), ALL)] if secret else []
        for entry in tokens:
            token, scopes = parse_token(entry)
            self._tokens.append((_hash(token), scopes))

    def scopes(self, presented: str) -> frozenset[Scope] | None:
        """The presented token's scopes; None when it is no token of this host's."""
        given = _hash(presented)
        found: frozenset[Scope] | None = None
        for hashed, scopes in self._tokens:  # every entry compared: the timing says nothing
            if hmac.compare_digest(given, hashed):
                found = scopes
        return found

    def check(self, presented: str, *needed: Scope) -> frozenset[Scope]:
        if not presented:
            raise Denied(
                401,
                "the deploy API needs 'Authorization: Bearer <token>': the host's secret or one of its "
                "deploy_tokens",
            )
        scopes = self.scopes(presented)
        if scopes is None:
            raise Denied(401, "wrong token")
        missing = [s.value for s in needed if s not in scopes]
        if missing:
            raise Denied(403, f"this token lacks the {' and '.join(missing)} scope needed here")
        return scopes
