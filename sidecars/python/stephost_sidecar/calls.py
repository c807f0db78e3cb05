"""Calls a handler makes into the host (emit, state, streams, log), over the link.

``HostCalls`` is the ``Channel`` every Context talks through: each call becomes a
HostCall frame with a fresh id, and the host's CallResult with that id settles it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from stephost.errors import HostCallError
from stephost_sidecar.proto import codec, pb

STREAM_OPS = {
    "get": pb.StreamCall.GET,
    "set": pb.StreamCall.SET,
    "delete": pb.StreamCall.DELETE,
    "get_group": pb.StreamCall.GET_GROUP,
    "send": pb.StreamCall.SEND,
}
STATE_OPS = {
    "get": pb.StateCall.GET,
    "set": pb.StateCall.SET,
    "delete": pb.StateCall.DELETE,
    "get_group": pb.StateCall.GET_GROUP,
    "clear": pb.StateCall.CLEAR,
    "get_revision": pb.StateCall.GET_REVISION,
    "set_if_revision": pb.StateCall.SET_IF_REVISION,
}


class StreamLost(ConnectionError):
    """The stream to the host ended while a call was waiting for its answer."""


class HostCalls:
    def __init__(self, loop: asyncio.AbstractEventLoop, send: Callable[[pb.SidecarMessage], None]) -> None:
        self.loop = loop
        self._send = send
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)

    def answer(self, res: pb.CallResult) -> None:
        fut = self._pending.pop(res.call_id, None)
        if fut is None or fut.done():
            return
        if res.HasField("error"):
            fut.set_exception(HostCallError(res.error.type, res.error.message))
        else:
            fut.set_result(codec.loads(res.result_json))

    def abandon(self) -> None:
        """The stream died: no answer will come for anything still waiting."""
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(StreamLost("the connection to the host was lost"))
        self._pending.clear()

    def emit(
        self, invocation_id: str, topic: str, data: Any, message_group_id: str | None
    ) -> asyncio.Future[Any]:
        msg = _call_message(invocation_id)
        emit = msg.call.emit
        emit.SetInParent()
        emit.topic = topic
        emit.data_json = codec.dumps(data)
        emit.message_group_id = message_group_id or ""
        return self._sent(msg)

    def state(
        self, invocation_id: str, op: str, group: str, key: str = "", value: Any = None, revision: int = 0
    ) -> asyncio.Future[Any]:
        msg = _call_message(invocation_id)
        call = msg.call.state  # its small fields copied in; the value's JSON set in place
        call.CopyFrom(pb.StateCall(op=STATE_OPS[op], group=group, key=key, expected_revision=revision))
        if op in ("set", "set_if_revision"):
            call.value_json = codec.dumps(value)
        return self._sent(msg)

    def stream(
        self, invocation_id: str, op: str, stream: str, group_id: str, item_id: str = "", data: Any = None
    ) -> asyncio.Future[Any]:
        msg = _call_message(invocation_id)
        call = msg.call.stream  # as for state: the data's JSON set in place
        call.CopyFrom(pb.StreamCall(op=STREAM_OPS[op], stream=stream, group_id=group_id, id=item_id))
        if op in ("set", "send"):
            call.data_json = codec.dumps(data)
        return self._sent(msg)

    def _sent(self, msg: pb.SidecarMessage) -> asyncio.Future[Any]:
        """Send a call built whole (nothing is pending for one that failed to build); the
        future its answer settles."""
        call_id = str(next(self._ids))
        msg.call.call_id = call_id
        fut: asyncio.Future[Any] = self.loop.create_future()
        self._pending[call_id] = fut
        self._send(msg)
        return fut

    def log(self, invocation_id: str, level: str, message: str, fields: dict[str, Any] | None) -> None:
        record = pb.LogRecord(
            invocation_id=invocation_id,
            level=level,
            message=message,
            fields_json=codec.dumps(fields) if fields else "",
            time_unix_ms=int(time.time() * 1000),
        )
        msg = pb.SidecarMessage(log=record)
        if _on_loop(self.loop):
            self._send(msg)
        else:  # a plain `def` handler logging from its worker thread
            self.loop.call_soon_threadsafe(self._send, msg)


def _call_message(invocation_id: str) -> pb.SidecarMessage:
    """A call, built in place inside the message that carries it: a submessage passed to a
    constructor would be copied (its data's JSON with it), once per level."""
    msg = pb.SidecarMessage()
    msg.call.invocation_id = invocation_id
    return msg


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
