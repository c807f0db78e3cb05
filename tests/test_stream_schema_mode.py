"""stream_schema: an item outside its stream's schema is stored with a warning naming the path and
reason (the default, as Motia stores it), or refused to the handler with "reject"."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.harness import ROOT, eventually

PROJECT = ROOT / "tests" / "projects" / "streams"
STEPS = 3
PROBLEM = "item for stream 'todo' does not match its schema at done: 'yes' is not of type 'boolean'"


def write(host: Any, group: str) -> httpx.Response:
    return httpx.post(f"{host.url}/todo/todo/{group}/a", json={"title": "t", "done": "yes"}, timeout=10)


def test_warn_is_the_default_it_logs_the_path_and_reason_and_stores_the_item(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=STEPS)
    group = uuid.uuid4().hex[:8]
    assert write(host, group).status_code == 200
    eventually(lambda: f"{PROBLEM} (stored anyway: stream_schema = warn" in host.log(), what="the warning")
    stored = httpx.get(f"{host.url}/__stephost/streams/todo/{group}").json()
    assert [item["done"] for item in stored] == ["yes"]


def test_reject_refuses_the_write_to_the_handler(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=STEPS, env={"STEPHOST_STREAM_SCHEMA": "reject"})
    group = uuid.uuid4().hex[:8]
    assert write(host, group).status_code == 500  # the handler let the refusal propagate
    assert PROBLEM in host.log()
    assert httpx.get(f"{host.url}/__stephost/streams/todo/{group}").json() == []
