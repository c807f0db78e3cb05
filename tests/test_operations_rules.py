"""The host operations' rules, pure: each refuses with a message naming the field as the
calling door spells it, and the FIFO rule is asked once per topic until the steps change."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest

from stephost_host.operations import InvalidArgument, ids
from stephost_host.operations.errors import NotFound, Unavailable, translated, unavailable
from stephost_host.operations.fifo import FifoSubscribers
from stephost_host.operations.rules import (
    HEADER_ROOM,
    MAX_NAME,
    MAX_TOPIC,
    Fields,
    Limit,
    check_fifo_group,
    check_header_value,
    check_json,
    check_name,
    check_topic,
    nats_limit,
    parse_json,
    payload_limit,
)
from stephost_host.router.registry import Registry
from stephost_host.steps.models import EventStep, parse_config

PLAIN = Fields()
CTX = Fields({"data": "emit data", "message_group_id": "messageGroupId"})
LIMIT = Limit(100, "a test limit")


def refused(check: Callable[[], object]) -> str:
    with pytest.raises(InvalidArgument) as err:
        check()
    assert err.value.error_type == "InvalidArgument"
    return err.value.message


def test_fields_are_spelled_by_the_door_and_placed_by_a_prefix() -> None:
    assert CTX("message_group_id") == "messageGroupId"
    assert CTX("topic") == "topic"
    inside = PLAIN.at("events[3].")
    assert inside("topic") == "events[3].topic" and inside.bare("topic") == "topic"


def test_topics_are_non_empty_and_bounded() -> None:
    assert check_topic("a.b", PLAIN) == "a.b"
    assert refused(lambda: check_topic("", PLAIN)) == "topic is empty: every event needs a topic"
    assert refused(lambda: check_topic("t" * (MAX_TOPIC + 1), PLAIN.at("events[0]."))) == (
        f"events[0].topic is {MAX_TOPIC + 1} characters; at most {MAX_TOPIC} are allowed"
    )
    check_topic("t" * MAX_TOPIC, PLAIN)


@pytest.mark.parametrize("text", ["NaN", "[1, Infinity]", '{"x": -Infinity}'])
def test_nan_and_infinity_are_not_json(text: str) -> None:
    message = refused(lambda: check_json(text, "data", CTX, LIMIT))
    assert message.startswith("emit data is not valid JSON: ") and "is not JSON" in message


def test_json_must_parse_and_empty_means_null() -> None:
    assert check_json("", "data", PLAIN, LIMIT) == "null"
    assert parse_json('{"a": [1, 2.5, null]}', "data", PLAIN, LIMIT) == {"a": [1, 2.5, None]}
    assert "data is not valid JSON" in refused(lambda: check_json("{nope", "data", PLAIN, LIMIT))


def test_payloads_over_the_limit_name_the_limit_and_where_it_comes_from() -> None:
    fits = json.dumps("x" * 98)
    assert check_json(fits, "data", PLAIN, LIMIT) == fits
    over = json.dumps("é" * 50, ensure_ascii=False)  # 52 characters, 102 bytes of UTF-8
    assert refused(lambda: check_json(over, "value", PLAIN, LIMIT)) == (
        "value is 102 bytes, over this host's limit of 100 bytes (a test limit)"
    )


def test_the_payload_limit_leaves_header_room_below_the_nats_max_payload() -> None:
    ceiling = nats_limit(1_048_576)
    assert ceiling.bytes == 1_048_576 - HEADER_ROOM == 1_044_480 and "max_payload" in ceiling.source
    assert payload_limit(4096, "ingress_max_payload_bytes", 1_048_576) == Limit(
        4096, "ingress_max_payload_bytes"
    )
    assert payload_limit(5_000_000, "ingress_max_payload_bytes", 1_048_576) == ceiling


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "tab\there", "nul\x00", "del\x7f"])
def test_header_values_have_no_control_characters(value: str) -> None:
    assert refused(lambda: check_header_value(value, "message_group_id", CTX, 256)) == (
        "messageGroupId must not contain control characters (such as newlines)"
    )


def test_header_values_are_bounded_and_may_be_absent() -> None:
    assert check_header_value("", "trace_id", PLAIN, 8) == ""
    assert check_header_value("ünïcode ok", "trace_id", PLAIN, 10) == "ünïcode ok"
    assert refused(lambda: check_header_value("k" * 9, "idempotency_key", PLAIN, 8)) == (
        "idempotency_key is 9 characters; at most 8 are allowed"
    )


def test_names_are_non_empty_and_bounded() -> None:
    assert check_name("any name: at all", "group", PLAIN) == "any name: at all"
    assert refused(lambda: check_name("", "key", PLAIN)) == "key is empty"
    assert refused(lambda: check_name("n" * (MAX_NAME + 1), "group_id", Fields({"group_id": "groupId"}))) == (
        f"groupId is {MAX_NAME + 1} characters; at most {MAX_NAME} are allowed"
    )


def test_a_topic_with_fifo_subscribers_needs_a_group() -> None:
    check_fifo_group("t", "", [], CTX)
    check_fifo_group("t", "g", ["a"], CTX)
    assert refused(lambda: check_fifo_group("t", "", ["a", "b"], CTX)) == (
        "messageGroupId is empty, but topic 't' has FIFO subscribers (a, b): emit needs a messageGroupId, "
        "as they take events in order per message group"
    )
    batch = refused(lambda: check_fifo_group("t", "", ["a"], PLAIN.at("events[1].")))
    assert batch.startswith("events[1].message_group_id is empty") and "needs a message_group_id," in batch


@dataclass
class Entry:
    name: str
    config: Any


class Steps:
    """What the FIFO rule reads of the registry: of_type entries and on_change."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.listeners: list[Callable[[], None]] = []
        self.asked = 0

    def of_type(self, kind: type) -> list[Entry]:
        self.asked += 1
        return [e for e in self.entries if isinstance(e.config, kind)]

    def on_change(self, listener: Callable[[], None]) -> None:
        self.listeners.append(listener)

    def add(self, name: str, topic: str, queue: str) -> None:
        doc = {
            "name": name,
            "type": "event",
            "subscribes": [topic],
            "infrastructure": {"queue": {"type": queue}},
        }
        config = parse_config(json.dumps(doc), f"steps/{name}_step.py")
        assert isinstance(config, EventStep)
        self.entries.append(Entry(name, config))
        for listener in self.listeners:
            listener()


def test_fifo_subscribers_are_cached_until_the_steps_change() -> None:
    steps = Steps()
    fifo = FifoSubscribers(cast(Registry, steps))
    steps.add("plain", "t", "standard")
    assert fifo("t") == [] and fifo("t") == []
    assert steps.asked == 1
    steps.add("ordered", "t", "fifo")
    assert fifo("t") == ["ordered"] and steps.asked == 2
    assert fifo("other") == []


def test_message_ids_come_from_one_place() -> None:
    assert ids.idempotent("k1") == "ingress.k1" and ids.idempotent("") == ""
    assert (
        ids.redelivered("q-step:42", 0) == "q-step:42:0" and ids.redelivered("q-step:42", 1) == "q-step:42:1"
    )
    assert ids.redelivered("", 3) == ""  # not run for a queued event: nothing to deduplicate


def test_store_errors_and_nats_errors_become_typed_refusals() -> None:
    class ItemGone(LookupError):
        error_type = "NotFound"

    found = translated(ItemGone("no such item"))
    assert isinstance(found, NotFound) and found.message == "no such item"
    assert translated(RuntimeError("x")) is None
    first = unavailable(TimeoutError("slow"), "nothing was stored")
    again = unavailable(first, "2 of the batch's 3 events were stored")
    assert isinstance(again, Unavailable) and again.error_type == "Unavailable"
    assert again.message.startswith(
        "NATS did not acknowledge the write (TimeoutError: slow); 2 of the batch's"
    )
