"""Publishing events durably: an emit returns only once JetStream has stored it."""

from __future__ import annotations

from nats.js import JetStreamContext

from stephost_host import names
from stephost_host.natsio.publish import Stored, header_block, store
from stephost_host.observe.spans import traceparent

# JetStream refuses the event unless the events stream is the one that takes its subject.
_EXPECTED_STREAM = ("Nats-Expected-Stream", names.EVENTS_STREAM)


class Publisher:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js
        # nats-py keeps the client and the context's timeout private; it has no public accessor.
        self._nc = js._nc
        self._timeout: float = js._timeout

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
    ) -> Stored:
        if not topic:
            raise ValueError("emit needs a non-empty topic")
        headers = [(names.HEADER_TRACE, trace_id)]
        if group:
            headers.append((names.HEADER_GROUP, group))
        if source:
            headers.append((names.HEADER_SOURCE, source))
        if w3c := traceparent(trace_id, parent):  # the handling step's span continues this one
            headers.append((names.HEADER_TRACEPARENT, w3c))
        if msg_id:
            headers.append(("Nats-Msg-Id", msg_id))  # JetStream drops duplicates inside its window
        headers.append(_EXPECTED_STREAM)
        return await store(
            self._nc, names.topic_subject(topic), data_json.encode(), header_block(headers), self._timeout
        )
