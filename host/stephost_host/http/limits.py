"""uvicorn's httptools protocol, plus the limits it lacks against slow clients.

uvicorn bounds only the idle time between keep-alive requests: a client that connects and
sends nothing, or sends its head or body a byte at a time, holds a connection (and, with a
body, a request task) forever. This subclass adds per connection:

- a header timeout: the request line and headers must arrive within ``header_timeout`` of
  the connection opening (or of the first byte of a later request on it). A connection that
  sent nothing is closed; one that sent part of a head is answered 408 and closed;
- a body timeout: ``body_timeout`` of silence while a body is being sent gets 408 (if no
  response started yet) and the connection closed. Time the server itself stopped reading
  (flow control while the app is busy, pipelining) does not count against the client;
- a connection cap: past ``max_connections`` open connections a request is answered 503 in
  JSON naming the setting (uvicorn's own ``limit_concurrency`` check answers plain text; it
  still guards WebSocket upgrades, which leave this protocol).

And one saving: a response with a Content-Length goes out in one write, head and body
together, not two (``HeadWithBody``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from stephost_host.config import Settings


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    max_body_bytes: int = 10 * 1024 * 1024  # WebSocket messages too

    @classmethod
    def from_settings(cls, s: Settings) -> HttpLimits:
        return cls(s.http_header_timeout, s.http_body_timeout, s.http_max_connections, s.max_body_bytes)


def error_response(status: int, reason: str, message: str, extra: dict[str, Any] | None = None) -> bytes:
    """A whole JSON error response that closes the connection, for the protocol to write itself."""
    body = json.dumps({"error": message, **(extra or {})}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class HeadWithBody:
    """A request cycle's transport that holds the head of a response with a Content-Length
    until the body's first write, and writes both at once: one send, one TCP segment for a
    small response instead of two. A head that no write follows (HEAD, an error) goes out
    when the response completes or the connection closes. Chunked responses (streams, server-
    sent events) and 100 Continue pass straight through: their client is waiting on them."""

    __slots__ = ("_cycle", "_head_seen", "_held", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: Any) -> None:
        self._transport = transport
        self._cycle = cycle
        self._held: bytes | None = None
        self._head_seen = False
        done = cycle.on_response

        def on_response() -> None:
            self.flush()
            done()

        cycle.on_response = on_response

    def write(self, data: bytes) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
        elif not self._head_seen and self._cycle.response_started:
            self._head_seen = True  # the first write once the response started is its head
            if self._cycle.chunked_encoding is False:
                self._held = data
                return
        self._transport.write(data)

    def flush(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, ...
        return getattr(self._transport, name)


class LimitedHttpProtocol(HttpToolsProtocol):
    limits: ClassVar[HttpLimits] = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_concurrency = None  # counted in on_headers_complete, to answer in JSON
        self._timer: asyncio.TimerHandle | None = None
        self._in_head = False  # part of a request head has arrived, not all of it

    @classmethod
    def with_limits(cls, limits: HttpLimits) -> type[LimitedHttpProtocol]:
        return type(cls.__name__, (cls,), {"limits": limits})

    # -- timers --------------------------------------------------------------

    def _arm(self, seconds: float, fire: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, fire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        busy = self.cycle is not None and not self.cycle.response_complete
        if self._in_head and not busy:  # part of a head came: say why we hang up
            seconds = self.limits.header_timeout
            self.transport.write(
                error_response(
                    408,
                    "Request Timeout",
                    f"the request line and headers did not arrive within {seconds:g}s "
                    "(setting http_header_timeout)",
                )
            )
        self.transport.close()

    def _body_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # we stopped reading, not the client: wait again
            self._arm(self.limits.body_timeout, self._body_timed_out)
            return
        cycle = self.cycle
        if not cycle.response_started:
            seconds = self.limits.body_timeout
            self.transport.write(
                error_response(
                    408,
                    "Request Timeout",
                    f"the request body stalled: nothing arrived for {seconds:g}s (setting http_body_timeout)",
                )
            )
        # The app sees the client gone: its receive() returns http.disconnect, send() is dropped.
        cycle.disconnected = True
        cycle.message_event.set()
        self.transport.close()

    # -- connection and parser callbacks ---------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        if self._timer is None:  # a later request on a kept-alive connection
            self._arm(self.limits.header_timeout, self._head_timed_out)

    def on_headers_complete(self) -> None:
        self._disarm()
        self._in_head = False
        app = self.app
        if len(self.connections) > self.limits.max_connections:
            self.app = self._busy  # uvicorn starts the request with self.app
        try:
            super().on_headers_complete()
        finally:
            self.app = app
        if self.cycle is not None and self.cycle.scope is self.scope:
            self.cycle.transport = HeadWithBody(self.transport, self.cycle)  # type: ignore[assignment]
            if self.cycle.more_body:
                self._arm(self.limits.body_timeout, self._body_timed_out)

    def on_body(self, body: bytes) -> None:
        if self._timer is not None:
            self._arm(self.limits.body_timeout, self._body_timed_out)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    async def _busy(self, scope: Any, receive: Any, send: Any) -> None:
        body = json.dumps(
            {
                "error": f"the server is at its limit of {self.limits.max_connections} open "
                "connections (setting http_max_connections); retry shortly"
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", b"1"),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
