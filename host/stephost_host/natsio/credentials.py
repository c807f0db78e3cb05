"""Who may talk to NATS: what an embedded nats-server demands, and what the host presents
to an external one.

The embedded server holds every stream, dead letter and state item, so it never accepts
anonymous clients: the host gives it a token made once per project, kept owner-only in the
state directory and reused on every start (a restarted host, and tools reading
``runtime.json``, keep working). An external server takes the usual forms: user/password or
a token in ``nats_url`` (read by nats-py itself), an NKey seed file, a JWT ``.creds`` file,
and TLS with a CA and an optional client certificate.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stephost_host.config import ConfigError, Settings
from stephost_host.secret_files import kept_secret

# Written into nats-server.conf and into a URL as they are: plain words only, so neither the
# config quoting nor the URL's userinfo (which nats-py does not percent-decode) can break.
_WORD = re.compile(r"[A-Za-z0-9._~-]+")


@dataclass(frozen=True)
class ServerAuth:
    """The one identity an embedded nats-server accepts: a token, or a user and password."""

    token: str = ""
    user: str = ""
    password: str = ""

    def __post_init__(self) -> None:
        if bool(self.token) == bool(self.user or self.password):
            raise ValueError("ServerAuth takes a token, or a user and a password")
        if self.user and not self.password:
            raise ValueError("ServerAuth: a user needs a password")
        for value in (self.token, self.user, self.password):
            if value and not _WORD.fullmatch(value):
                raise ValueError("ServerAuth values are plain words (letters, digits, . _ ~ -)")

    def config(self) -> str:
        """The ``authorization`` block of nats-server.conf."""
        if self.token:
            return f'authorization {{\n  token: "{self.token}"\n}}\n'
        return f'authorization {{\n  user: "{self.user}"\n  password: "{self.password}"\n}}\n'

    def userinfo(self) -> str:
        """What goes before the ``@`` of a client URL (nats-py reads a lone name as a token)."""
        return self.token or f"{self.user}:{self.password}"


def project_auth(path: Path) -> ServerAuth:
    """The embedded server's token for one project: made on first use, then read back."""
    return ServerAuth(token=kept_secret(path, "NATS token"))


def with_userinfo(url: str, auth: ServerAuth) -> str:
    """``nats://127.0.0.1:4222`` -> ``nats://TOKEN@127.0.0.1:4222``."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{auth.userinfo()}@{rest}" if sep else f"{auth.userinfo()}@{url}"


@dataclass(frozen=True)
class ClientAccess:
    """What the host presents to an external NATS server beyond the URL's own credentials."""

    creds: Path | None = None  # a JWT .creds file (the user JWT and its NKey seed)
    nkey: Path | None = None  # an NKey seed file
    tls_ca: Path | None = None  # PEM CA bundle that signed the server's certificate
    tls_cert: Path | None = None  # PEM client certificate (mutual TLS)
    tls_key: Path | None = None  # its private key

    @classmethod
    def from_settings(cls, s: Settings) -> ClientAccess:
        access = cls(s.nats_creds, s.nats_nkey, s.nats_tls_ca, s.nats_tls_cert, s.nats_tls_key)
        given = {k: v for k, v in access.__dict__.items() if v is not None}
        if given and not s.nats_url:
            key, value = next(iter(given.items()))
            raise ConfigError(
                f"setting 'nats_{key}' = {str(value)!r}: applies to an external NATS server "
                "(nats_url); the embedded one uses the host's own credentials"
            )
        if access.creds and access.nkey:
            raise ConfigError(
                f"settings 'nats_creds' = {str(access.creds)!r} and 'nats_nkey' = {str(access.nkey)!r}: "
                "give one (a .creds file holds its own NKey seed)"
            )
        if (access.tls_cert is None) != (access.tls_key is None):
            key = "nats_tls_key" if access.tls_cert else "nats_tls_cert"
            raise ConfigError(f"setting {key!r} is missing: a TLS client certificate needs its key")
        return access

    def options(self) -> dict[str, Any]:
        """nats-py ``connect`` keyword arguments."""
        out: dict[str, Any] = {}
        if self.creds:
            out["user_credentials"] = str(self.creds)
        if self.nkey:
            out["nkeys_seed"] = str(self.nkey)
        if self.tls_ca or self.tls_cert:
            out["tls"] = self._tls()
        return out

    def _tls(self) -> ssl.SSLContext:
        try:
            ctx = ssl.create_default_context(cafile=str(self.tls_ca) if self.tls_ca else None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"setting 'nats_tls_ca' = {str(self.tls_ca)!r}: not a PEM CA bundle ({exc})"
            ) from None
        if self.tls_cert and self.tls_key:
            try:
                ctx.load_cert_chain(str(self.tls_cert), str(self.tls_key))
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"settings 'nats_tls_cert' = {str(self.tls_cert)!r} and 'nats_tls_key' = "
                    f"{str(self.tls_key)!r}: not a matching PEM certificate and key ({exc})"
                ) from None
        return ctx
