"""The host's auth posture: one log line per door at start, so whoever runs it sees at a glance
what protects each way in (and what is open on purpose)."""

from __future__ import annotations

from dataclasses import dataclass

from stephost_host.config import Settings


@dataclass(frozen=True)
class Doors:
    """What the posture depends on beyond the settings, as the started host knows it."""

    secret_origin: str  # runtime.Secret.origin
    sidecar_address: str  # host:port sidecars dial
    ingress_address: str  # "" when the ingress is off
    ingress_off: str  # why it is off despite `ingress = true` ("" when it is not)
    stream_hook: bool  # a sidecar declared the project's stream auth hook
    open_introspection: bool  # steps, docs and OpenAPI open (`stephost dev` on loopback)
    embedded_nats: bool = False  # the project's own server, whether this host or its manager runs it


def auth_posture(s: Settings, d: Doors) -> list[str]:
    admin = "bearer secret for every endpoint but /health and /streams"
    if d.open_introspection:
        admin += " (steps, docs and openapi.json open: `stephost dev` on loopback)"
    return [
        f"HTTP api steps on {s.host}: public by design (a step checks its own callers, e.g. in middleware)",
        f"admin API /__stephost: {admin}",
        "WebSocket streams: "
        + (
            "the project's stream auth hook"
            if d.stream_hook
            else "open (no stream auth hook declared; one fails the socket closed while its sidecar is away)"
        ),
        f"sidecar port {d.sidecar_address}: secret, {d.secret_origin}",
        f"gRPC ingress: {_ingress(s, d)}",
        f"NATS: {_nats(s, d)}",
    ]


def _ingress(s: Settings, d: Doors) -> str:
    if not s.ingress:
        return "off (ingress = false)"
    if d.ingress_off:
        return "off (it would share a public sidecar port without a token)"
    where = d.ingress_address + (" (TLS)" if s.ingress_tls_cert else "")
    if s.ingress_token:
        return f"{where}: bearer token"
    host = s.ingress_host if s.ingress_port is not None else s.sidecar_host
    if s.is_loopback(host):
        return f"{where}: no token, loopback only"
    return f"{where}: NO TOKEN beyond loopback (ingress_allow_anonymous)"


def _nats(s: Settings, d: Doors) -> str:
    if d.embedded_nats:
        return "embedded, per-project token (state_dir/nats/credentials)"
    held = [
        name
        for name, given in (
            ("URL credentials", any("@" in url for url in s.nats_url.split(","))),
            ("JWT .creds file", s.nats_creds is not None),
            ("NKey seed", s.nats_nkey is not None),
            ("TLS client certificate", s.nats_tls_cert is not None),
        )
        if given
    ]
    tls = ", server verified against nats_tls_ca" if s.nats_tls_ca else ""
    return "external, " + (" + ".join(held) if held else "no credentials (the server decides)") + tls
