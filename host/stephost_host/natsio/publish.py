"""Storing a message on JetStream: publish, then wait for the stream's acknowledgement.

Every emit and every state write is one, so it is the host's hottest NATS path. nats-py's
``JetStreamContext.publish`` (and ``KeyValue.put``, which goes through it) encodes a header
dict on every call, builds a Msg and a header dict for the reply, decodes it with ``json``
and fills a PubAck dataclass. Here an emit's headers are encoded once (``header_block``),
the reply comes back as read (``_Client.request_raw``), and only the three fields stephost
uses are read from it. The errors are nats-py's, in the same cases: a JetStream error reply
raises ``APIError.from_error`` (wrong stream, wrong last sequence, ...), no responders raises
``NoStreamResponseError`` (retried through a cluster's leader election first, as every
other publish is), no reply in time raises nats' ``TimeoutError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from nats.aio.client import Client as NATS
from nats.js.errors import APIError, NoStreamResponseError

from stephost_host.natsio.jetstream import _Client, through_elections

# nats-py's default for a JetStream request (JetStreamContext(timeout=5)).
TIMEOUT = 5.0
# How nats-py cleans a header value: trimmed, CR/LF made spaces (no injected lines).
_NEWLINES = str.maketrans({"\r": " ", "\n": " "})
_NO_RESPONDERS = b"NATS/1.0 503"


@dataclass(frozen=True, slots=True)
class Stored:
    """JetStream's acknowledgement: where the message is kept."""

    stream: str
    seq: int
    duplicate: bool = False  # a message with the same Nats-Msg-Id was stored before; not this one


def header_block(headers: Iterable[tuple[str, str]]) -> bytes:
    """A NATS header block; the names are stephost's own constants, the values are cleaned
    as nats-py cleans them."""
    lines = ["NATS/1.0\r\n"]
    for name, value in headers:
        value = value.strip()
        if "\r" in value or "\n" in value:  # rare; translate() on every value cost ~8 us per emit
            value = value.translate(_NEWLINES)
        lines.append(f"{name}: {value}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode()


async def store(
    nc: NATS, subject: str, payload: bytes, headers: bytes = b"", timeout: float = TIMEOUT
) -> Stored:
    """Publish and return once JetStream has stored the message (or had it already)."""
    if not isinstance(nc, _Client):
        raise TypeError("store() needs a client made by natsio.jetstream.connect")
    return await through_elections(nc, subject, lambda: _once(nc, subject, payload, headers, timeout))


async def _once(nc: _Client, subject: str, payload: bytes, headers: bytes, timeout: float) -> Stored:
    status, data = await nc.request_raw(subject, payload, headers, timeout)
    if status and status.startswith(_NO_RESPONDERS):
        raise NoStreamResponseError
    reply = orjson.loads(data)
    if "error" in reply:
        APIError.from_error(reply["error"])  # raises the error's own class
    return Stored(reply["stream"], reply["seq"], bool(reply.get("duplicate")))
