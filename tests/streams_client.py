"""A small synchronous client for the stream WebSocket, for tests."""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import ClientConnection, connect


class StreamClient:
    def __init__(self, http_url: str, token: str | None = None, query: str = "") -> None:
        url = http_url.replace("http://", "ws://") + "/" + query
        protocols = ["Authorization", token] if token else None
        self._connection = connect(url, subprotocols=protocols, open_timeout=10)  # type: ignore[arg-type]
        self.ws: ClientConnection = self._connection.__enter__()

    def send(self, doc: Any) -> None:
        self.ws.send(doc if isinstance(doc, str) else json.dumps(doc))

    def join(self, stream: str, group: str, item: str | None = None, sub: str = "s1") -> None:
        data = {"streamName": stream, "groupId": group, "subscriptionId": sub}
        if item is not None:
            data["id"] = item
        self.send({"type": "join", "data": data})

    def leave(self, stream: str, group: str, item: str | None = None, sub: str = "s1") -> None:
        data = {"streamName": stream, "groupId": group, "subscriptionId": sub}
        if item is not None:
            data["id"] = item
        self.send({"type": "leave", "data": data})

    def next(self, timeout: float = 10.0) -> dict[str, Any]:
        return dict(json.loads(self.ws.recv(timeout=timeout)))

    def next_event(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame's event with its frame's scope (streamName, groupId, id) merged in."""
        frame = self.next(timeout)
        return {**frame["event"], **{k: frame[k] for k in ("streamName", "groupId", "id") if k in frame}}

    def close(self) -> None:
        self._connection.__exit__(None, None, None)
