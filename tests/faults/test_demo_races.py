"""The demo's handlers (the code people copy) under a race: one order's `order.created`
delivered eight times at once, as redeliveries after a crash can overlap with a run still
in flight. Exactly one run reserves and exactly one tells the customer; the order ends
`notified` (issue 11 item 13: two redelivered handlers once left orders at `reserved`)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from stephost import AsyncClient
from tests.harness import ROOT, eventually

DEMO = ROOT / "examples" / "demo"
COPIES = 8


async def deliver(target: str, order: dict[str, Any]) -> None:
    async with AsyncClient(target, timeout=30) as client:
        await asyncio.gather(
            *(
                client.emit("order.created", order, idempotency_key=f"{order['id']}-{n}")
                for n in range(COPIES)
            )
        )


def test_overlapping_deliveries_reserve_once_and_notify_once(start_host: Any) -> None:
    host = start_host(DEMO, live_steps=6)
    order = {"id": uuid.uuid4().hex[:12], "item": "kettle", "quantity": 1}
    asyncio.run(deliver(str(host.info["ingress"]), order))
    with host.client() as http:
        eventually(
            lambda: len(host.log_lines("already notified", order["id"])) == COPIES - 1,
            timeout=60,
            what="every delivery to reach notify-customer",
        )
        assert http.get(f"/orders/{order['id']}").json()["status"] == "notified"
    assert len(host.log_lines("customer notified", order["id"])) == 1
    assert len(host.log_lines("already reserved", order["id"])) == COPIES - 1
    assert not host.log_lines("dead letter", order["id"]), json.dumps(host.log_lines(order["id"]))[:2000]
