"""The stream WebSocket, wire-compatible with Motia's stream clients.

Client frames: ``{"type": "join"|"leave", "data": {streamName, groupId, id?, subscriptionId}}``.
Server frames: ``{timestamp, streamName, groupId, id?, event}`` where event is
``{type: "sync", data}`` right after a join, then ``{type: "create"|"update"|"delete", data}``
or ``{type: "event", event: {type, data}}``. A change to an item is sent once per
connection with its ``id``; the client hands it to both the item's and the group's
listeners. Bad frames (binary, not JSON, nested deeper than ``codec.MAX_JSON_DEPTH``,
unknown type, missing or oversized names) get ``{"type": "error", "error": {"message"}}``,
leave the socket open and never affect other clients. A refused join (unknown stream,
access denied, too many subscriptions on this connection, the read failed) gets an
``error`` event on that subscription (``{type: "error", data: {code, message}}``) and no data.

Streams the host itself owns (``HostStream``: Motia's ``deployment-status``) are joined the
same way; a project stream of the same name wins. They take the host's deploy credentials
instead of the project's stream auth: a connection that presents one is let in even when the
project's hook would not know it, and may then join only host streams.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from starlette.websockets import WebSocket, WebSocketDisconnect

from stephost_host.http.app import multi_dict
from stephost_host.operations.errors import OperationError, acknowledged
from stephost_host.operations.rules import Fields, check_name
from stephost_host.streams.auth import Credentials, Denied, Forbidden, StreamAuth, subscription
from stephost_host.streams.store import Change, Streams, Subscription, Synced, UnknownStream
from stephost_wire import codec

log = logging.getLogger("stephost.ws")
MAX_QUEUED = 10_000  # frames waiting for a slow client before it is disconnected
AUTH_PROTOCOL = "Authorization"
MAX_SUBSCRIPTIONS = 100  # per connection; the setting stream_max_subscriptions
SUBSCRIPTIONS_SETTING = "stream_max_subscriptions"
FRAME_FIELDS = Fields()  # the frame's own spelling: streamName, groupId, id
HOST_ONLY = object()  # the auth context of a connection let in by a host-stream credential


class HostStream(Protocol):
    """A stream the host serves from its own data (deployments_compat.status_stream)."""

    def owns(self, stream: str) -> bool: ...

    def admits(self, token: str | None) -> bool: ...

    def may_read(self, token: str | None, item: str | None) -> bool: ...

    async def read(self, group: str, item: str | None) -> Any: ...

    def watch(
        self, stream: str, group: str, item: str | None, deliver: Callable[[Change], None]
    ) -> Subscription: ...


def token_of(scope: dict[str, Any], query: dict[str, Any]) -> str | None:
    """``Sec-WebSocket-Protocol: Authorization,<token>`` (what browsers can send) or ?authToken=/?token=."""
    protocols = [p.strip() for p in scope.get("subprotocols", [])]
    if AUTH_PROTOCOL in protocols and len(protocols) > protocols.index(AUTH_PROTOCOL) + 1:
        return protocols[protocols.index(AUTH_PROTOCOL) + 1]
    for name in ("authToken", "token"):
        value = query.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class StreamSocket:
    def __init__(
        self,
        streams: Streams,
        auth: StreamAuth,
        max_subscriptions: int = MAX_SUBSCRIPTIONS,
        host_streams: tuple[HostStream, ...] = (),
    ) -> None:
        self.streams = streams
        self.auth = auth
        self.max_subscriptions = max_subscriptions
        self.host_streams = host_streams
        self.clients = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        ws = WebSocket(scope, receive, send)
        query = multi_dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        headers = multi_dict(
            [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        )
        token = token_of(scope, query)
        try:
            if self.auth.required and any(h.admits(token) for h in self.host_streams):
                context: Any = HOST_ONLY
            else:
                context = await self.auth.authenticate(Credentials(token, headers, query))
        except Denied as exc:
            log.info("stream client refused: %s", exc)
            await ws.close(code=1008, reason=str(exc))  # before accept: the upgrade gets a 403
            return
        await ws.accept(subprotocol=AUTH_PROTOCOL if AUTH_PROTOCOL in scope.get("subprotocols", []) else None)
        self.clients += 1
        try:
            await Client(
                ws, self.streams, self.auth, context, self.max_subscriptions, self.host_streams, token
            ).run()
        finally:
            self.clients -= 1


class Client:
    """One connected socket: its subscriptions and its outgoing frames."""

    def __init__(
        self,
        ws: WebSocket,
        streams: Streams,
        auth: StreamAuth,
        context: Any,
        max_subscriptions: int = MAX_SUBSCRIPTIONS,
        host_streams: tuple[HostStream, ...] = (),
        token: str | None = None,
    ) -> None:
        self.ws = ws
        self.streams = streams
        self.auth = auth
        self.context = context
        self.max_subscriptions = max_subscriptions
        self.subs: list[tuple[dict[str, Any], Subscription]] = []
        self.host_streams = host_streams
        self.token = token  # what a host stream's join is checked against
        self.out: asyncio.Queue[str | None] = asyncio.Queue()
        self._last: Change | None = None

    async def run(self) -> None:
        writer = asyncio.create_task(self._write())
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("text") is None:
                    self._error("binary frames are not supported: send each frame as JSON text")
                    continue
                await self._frame(message["text"])
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for _, sub in self.subs:
                sub.close()
            self.out.put_nowait(None)
            writer.cancel()

    async def _write(self) -> None:
        while (frame := await self.out.get()) is not None:
            try:
                await self.ws.send_text(frame)
            except Exception:
                return

    def _send(self, doc: dict[str, Any]) -> None:
        if self.out.qsize() >= MAX_QUEUED:
            log.warning("a stream client is too slow (%d frames queued); disconnecting it", MAX_QUEUED)
            self.out.put_nowait(None)
            return
        self.out.put_nowait(codec.dumps(doc))

    def _error(self, message: str) -> None:
        self._send({"type": "error", "error": {"message": message}})

    def _refuse(self, scope: dict[str, Any], code: str, message: str) -> None:
        """A join refused: an ``error`` event on that subscription, and no data."""
        self._send(
            {
                **scope,
                "event": {
                    "type": "event",
                    "event": {"type": "error", "data": {"code": code, "message": message}},
                },
            }
        )

    def _deliver(self, change: Change) -> None:
        if change is self._last:  # a group and an item subscription both matched: one frame
            return
        self._last = change
        frame: dict[str, Any] = {
            "timestamp": change.timestamp,
            "streamName": change.stream,
            "groupId": change.group,
        }
        if change.id is not None:
            frame["id"] = change.id
        frame["event"] = change.event()
        self._send(frame)

    async def _frame(self, text: str) -> None:
        try:
            msg = codec.loads_checked(text)
        except codec.JsonRefused as exc:
            self._error(f"frame refused: {exc}")
            return
        except ValueError as exc:
            self._error(f"frame is not JSON: {exc}")
            return
        if not isinstance(msg, dict) or msg.get("type") not in ("join", "leave"):
            kind = msg.get("type") if isinstance(msg, dict) else type(msg).__name__
            self._error(f"unknown frame type {kind!r}: expected 'join' or 'leave'")
            return
        data = msg.get("data")
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("streamName"), str)
            or not isinstance(data.get("groupId"), str)
        ):
            self._error(f"a {msg['type']} frame needs data with string streamName and groupId")
            return
        item = data.get("id")
        if item is not None and not isinstance(item, str):
            self._error("id must be a string when given")
            return
        try:
            for name in ("streamName", "groupId", *(("id",) if item is not None else ())):
                check_name(data[name], name, FRAME_FIELDS)
        except OperationError as exc:
            self._error(f"a {msg['type']} frame's {exc.message}")
            return
        if msg["type"] == "join":
            await self._join(data)
        else:
            self._leave(data)

    async def _join(self, data: dict[str, Any]) -> None:
        stream, group, item = data["streamName"], data["groupId"], data.get("id")
        scope = {"timestamp": int(time.time() * 1000), "streamName": stream, "groupId": group}
        if item is not None:
            scope["id"] = item
        if len(self.subs) >= self.max_subscriptions:
            self._refuse(
                scope,
                "too_many_subscriptions",
                f"this connection already has {len(self.subs)} subscriptions, the most one connection may "
                f"have ({SUBSCRIPTIONS_SETTING}={self.max_subscriptions}): leave one first, or open another connection",
            )
            return
        host = next((h for h in self.host_streams if h.owns(stream)), None)
        try:
            if host is not None:
                if not host.may_read(self.token, item):
                    raise Forbidden(
                        f"stream {stream!r} is the host's: join it with a deploy token with the read "
                        "scope (or the deployment's own token, for its item)"
                    )
            else:
                if self.context is HOST_ONLY:
                    raise Forbidden(
                        f"access to stream {stream!r} denied: this connection presented a deploy "
                        "credential, which opens only the host's own streams"
                    )
                definition = self.streams.definition(stream)
                await self.auth.check(definition, subscription(stream, group, item), self.context)
        except UnknownStream as exc:
            self._refuse(scope, "not_found", str(exc))
            return
        except Forbidden as exc:
            self._refuse(scope, "forbidden", str(exc))
            return
        # Watch first, then read, and hold the changes that race the read until the sync is
        # out: the client sees sync, then every later change, in order, none lost, and none
        # that only restates what the sync had (``Synced``: one made before the read can still
        # arrive after it, through NATS).
        held: list[Change] | None = []
        synced = Synced([])

        def deliver(change: Change) -> None:
            if held is not None:
                held.append(change)
            elif synced.passes(change):
                self._deliver(change)

        watch = host.watch if host is not None else self.streams.watch
        sub = watch(stream, group, item, deliver)
        self.subs.append((data, sub))  # from here on, closing the socket closes it
        read_at = int(time.time() * 1000) - 1
        try:
            if host is not None:
                state = await host.read(group, item)
            else:
                state = await acknowledged(
                    self.streams.get(stream, group, item)
                    if item is not None
                    else self.streams.get_group(stream, group)
                )
        except OperationError as exc:
            self.subs.remove((data, sub))
            sub.close()
            self._refuse(scope, "unavailable", exc.message)
            return
        self._send({**scope, "timestamp": read_at, "event": {"type": "sync", "data": state}})
        synced = Synced(state)
        raced, held = held or [], None
        for change in raced:
            deliver(change)

    def _leave(self, data: dict[str, Any]) -> None:
        keep = []
        for joined, sub in self.subs:
            same_room = (joined["streamName"], joined["groupId"], joined.get("id")) == (
                data["streamName"],
                data["groupId"],
                data.get("id"),
            )
            same_sub = data.get("subscriptionId") in (None, joined.get("subscriptionId"))
            if same_room and same_sub:
                sub.close()
            else:
                keep.append((joined, sub))
        self.subs = keep
