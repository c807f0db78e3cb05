"""What a handler receives: the SDK's ``Context``, built for one invocation.

The type step authors see lives in the SDK (``stephost.context``); this module fills it
from the invocation and gives it the channel its calls travel through.
"""

from __future__ import annotations

from stephost.context import Channel, Context
from stephost_sidecar.proto import pb


def context_for(inv: pb.Invocation, channel: Channel, flows: list[str] | None = None) -> Context:
    return Context(
        channel,
        inv.invocation_id,
        inv.step,
        inv.trace_id,
        attempt=inv.attempt or 1,
        topic=inv.topic or None,  # set only for event steps
        flows=flows,  # from the step's config: the invocation does not carry them
        traceparent=inv.traceparent,
    )
