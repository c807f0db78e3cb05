"""Queue semantics: delays, typed retries, FIFO groups, visibility config."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.harness import ROOT, eventually

PROJECT = ROOT / "tests" / "projects" / "queues"


def uid() -> str:
    return uuid.uuid4().hex[:8]


def ok_json(url: str) -> Any:
    r = httpx.get(url, timeout=10)
    return r.json() if r.status_code == 200 else None


def test_delay_postpones_the_first_delivery_and_is_not_an_attempt(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=3)
    job = uid()
    assert httpx.post(f"{host.url}/emit/q.delayed", json={"id": job}).status_code == 202
    done = eventually(lambda: ok_json(f"{host.url}/state/delayed/{job}"), timeout=20)
    assert done["waited"] >= 1.9 and done["attempt"] == 1
