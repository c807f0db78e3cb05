"""Publishing events durably: an emit returns only once JetStream has stored it."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import PubAck

from stephost_host import names
from stephost_host.observe.spans import traceparent


class Publisher:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def emit(
        self,
        topic: str,
        data_json: str,
        trace_id: str,
        *,
        group: str = "",
        source: str = "",
        msg_id: str = "",
        parent: str = "",
    ) -> PubAck:
        if not topic:
            raise ValueError("emit needs a non-empty topic")
        headers = {names.HEADER_TRACE: trace_id}
        if group:
            headers[names.HEADER_GROUP] = group
        if source:
            headers[names.HEADER_SOURCE] = source
        if w3c := traceparent(trace_id, parent):  # the handling step's span continues this one
            headers[names.HEADER_TRACEPARENT] = w3c
        if msg_id:
            headers["Nats-Msg-Id"] = msg_id  # JetStream drops duplicates inside its window
        return await self.js.publish(
            names.topic_subject(topic), data_json.encode(), headers=headers, stream=names.EVENTS_STREAM
        )
