"""A client for a host's public gRPC ingress, for services that are not steps.

    from stephost import Client

    with Client("127.0.0.1:7070", token="...") as client:
        receipt = client.emit("order.created", {"id": "1"}, idempotency_key="order-1")
        client.set_state("orders", "1", {"status": "new"})

``AsyncClient`` has the same methods as coroutines; ``Client`` runs that same code on a
private event loop. Every call raises ``IngressError`` (with the gRPC status name in
``code``) when the host refuses it or cannot be reached. Nothing here exposes generated
protobuf types: arguments and results are plain Python values and the dataclasses below.
"""

from stephost.client.aio import BATCH_SIZE, DEFAULT_TARGET, AsyncClient, AsyncSubscription
from stephost.client.blocking import Client, Subscription
from stephost.client.values import Event, IngressError, Receipt, StepInfo, StreamChange

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_TARGET",
    "AsyncClient",
    "AsyncSubscription",
    "Client",
    "Event",
    "IngressError",
    "Receipt",
    "StepInfo",
    "StreamChange",
    "Subscription",
]
