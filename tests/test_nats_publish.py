"""The host's lean JetStream write (natsio/publish.py) and delivery reading (queue/delivery.py),
against a real nats-server: what is stored, what the ack says, and that every refusal is the
error nats-py's own ``JetStreamContext.publish`` raises in the same case."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from nats.aio.msg import Msg
from nats.errors import BadSubjectError, MaxPayloadError, NotJSMessageError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import APIError, NoStreamResponseError

from stephost_host import names
from stephost_host.natsio import jetstream
from stephost_host.natsio.publish import Stored, header_block, store
from stephost_host.queue.delivery import delivery
from stephost_host.queue.publisher import Publisher
from stephost_host.state.store import StateStore
from tests.harness import NatsServer


def test_a_header_block_is_what_nats_reads_and_a_value_cannot_add_a_line() -> None:
    block = header_block([("A", "1"), ("B", " two\r\nInjected: yes ")])
    assert block == b"NATS/1.0\r\nA: 1\r\nB: two  Injected: yes\r\n\r\n"


def test_store_keeps_the_message_with_its_headers_and_reports_repeats(nats_server: NatsServer) -> None:
    async def run() -> tuple[Stored, Stored, Stored, Any, int]:
        nc = await jetstream.connect(nats_server.url)
        try:
            js = nc.jetstream()
            await jetstream.ensure_all(js, event_max_age_days=1)
            subject = names.topic_subject("publish.test")
            headers = header_block([("Nats-Msg-Id", "once"), (names.HEADER_TRACE, "t1")])
            first = await store(nc, subject, b'{"n":1}', headers)
            again = await store(nc, subject, b'{"n":1}', headers)  # inside the duplicate window
            bare = await store(nc, subject, b'{"n":2}')  # no headers: a plain PUB
            kept = await js.get_msg(names.EVENTS_STREAM, first.seq)
            return first, again, bare, kept, len(nc._raw_replies)  # type: ignore[attr-defined]
        finally:
            await nc.close()

    first, again, bare, kept, waiting = asyncio.run(run())
    assert first == Stored(names.EVENTS_STREAM, 1, False)
    assert again == Stored(names.EVENTS_STREAM, 1, True)  # JetStream named the first; stored nothing
    assert bare == Stored(names.EVENTS_STREAM, 2, False)
    assert kept.data == b'{"n":1}'
    assert kept.headers[names.HEADER_TRACE] == "t1"
    assert waiting == 0  # no reply wait left behind


def test_store_refuses_as_nats_py_does(nats_server: NatsServer) -> None:
    """Each case once through nats-py's publish and once through ``store``: same error class,
    same JetStream error code."""

    async def run() -> list[tuple[Any, Any]]:
        nc = await jetstream.connect(nats_server.url)
        try:
            js = nc.jetstream()
            await jetstream.ensure_all(js, event_max_age_days=1)
            events = names.topic_subject("publish.refused")
            wrong_stream = header_block([("Nats-Expected-Stream", "NOT_EVENTS")])
            wrong_last = header_block([("Nats-Expected-Last-Subject-Sequence", "99")])
            cases = [
                (
                    js.publish(events, b"{}", stream="NOT_EVENTS"),
                    store(nc, events, b"{}", wrong_stream),
                ),
                (
                    js.publish(events, b"{}", headers={"Nats-Expected-Last-Subject-Sequence": "99"}),
                    store(nc, events, b"{}", wrong_last),
                ),
                (js.publish("no.stream.here", b"{}"), store(nc, "no.stream.here", b"{}")),
                (js.publish("has space", b"{}"), store(nc, "has space", b"{}")),
                (
                    js.publish(events, b"x" * (nc.max_payload + 1)),
                    store(nc, events, b"x" * (nc.max_payload + 1)),
                ),
            ]
            found = []
            for theirs, ours in cases:
                found.append((await _raised(theirs), await _raised(ours)))
            return found
        finally:
            await nc.close()

    found = asyncio.run(run())
    wrong_stream, wrong_last, no_stream, bad_subject, too_big = found
    for theirs, ours in found:
        assert type(theirs) is type(ours), (theirs, ours)
        assert getattr(theirs, "err_code", None) == getattr(ours, "err_code", None)
    assert isinstance(wrong_stream[1], APIError) and wrong_stream[1].err_code == 10060
    assert isinstance(wrong_last[1], APIError) and wrong_last[1].err_code == 10071
    assert isinstance(no_stream[1], NoStreamResponseError)  # one server: at once, no retry
    assert isinstance(bad_subject[1], BadSubjectError)
    assert isinstance(too_big[1], MaxPayloadError)


async def _raised(op: Any) -> BaseException | None:
    try:
        await op
    except Exception as exc:
        return exc
    return None


def test_store_times_out_on_its_timer_when_nobody_acknowledges(nats_server: NatsServer) -> None:
    async def run() -> tuple[float, int]:
        nc = await jetstream.connect(nats_server.url)
        try:
            await nc.subscribe("publish.silent")  # a responder that never answers
            started = time.monotonic()
            with pytest.raises(NatsTimeout):
                await store(nc, "publish.silent", b"{}", timeout=0.3)
            return time.monotonic() - started, len(nc._raw_replies)  # type: ignore[attr-defined]
        finally:
            await nc.close()

    waited, waiting = asyncio.run(run())
    assert 0.25 < waited < 3
    assert waiting == 0


def test_state_set_is_a_kv_put_and_compare_and_set_still_conflicts(nats_server: NatsServer) -> None:
    async def run() -> tuple[Any, int, int, int | None, Any]:
        nc = await jetstream.connect(nats_server.url)
        try:
            js = nc.jetstream()
            buckets = await jetstream.ensure_all(js, event_max_age_days=1)
            state = StateStore(nc, js, buckets.state)
            await state.set("orders", "o/1", {"n": 1})
            value, revision = await state.get_revision("orders", "o/1")
            unchecked = await state.set_if("orders", "o/1", {"n": 2}, None)
            assert unchecked is not None
            stale = await state.set_if("orders", "o/1", {"n": 3}, revision)  # moved since
            entry = await buckets.state.get(names.state_key("orders", "o/1"))
            return value, revision, unchecked, stale, entry.value
        finally:
            await nc.close()

    value, revision, unchecked, stale, raw = asyncio.run(run())
    assert value == {"n": 1} and revision == 1
    assert unchecked == 2
    assert stale is None  # the revision moved: nothing written
    assert raw == b'{"n":2}'


def test_delivery_reads_what_msg_metadata_reads(nats_server: NatsServer) -> None:
    async def run() -> list[tuple[Any, Any]]:
        nc = await jetstream.connect(nats_server.url)
        try:
            js = nc.jetstream()
            await jetstream.ensure_all(js, event_max_age_days=1)
            publisher = Publisher(js)
            for n in range(3):
                await publisher.emit("delivery.test", f'{{"n":{n}}}', "t")
            sub = await js.pull_subscribe(
                names.topic_subject("delivery.test"), durable="delivery-test", stream=names.EVENTS_STREAM
            )
            first = await sub.fetch(3, timeout=5)
            await first[1].nak()  # delivered again: attempt 2
            again = await sub.fetch(1, timeout=5)
            return [(delivery(m), m.metadata) for m in first + again]
        finally:
            await nc.close()

    seen = asyncio.run(run())
    assert [d.attempt for d, _ in seen] == [1, 1, 1, 2]
    for ours, theirs in seen:
        assert ours.attempt == theirs.num_delivered
        assert ours.stream_seq == theirs.sequence.stream
        assert abs(ours.stored_at - theirs.timestamp.timestamp()) < 1e-5
    assert seen[3][0].stream_seq == seen[1][0].stream_seq


def test_delivery_reads_both_ack_subject_forms_and_refuses_others() -> None:
    v1 = Msg(None, reply="$JS.ACK.EVENTS.c.3.17.12.1700000000123456789.0")  # type: ignore[arg-type]
    v2 = Msg(None, reply="$JS.ACK._.acc.EVENTS.c.4.18.13.1700000000500000000.2.tok")  # type: ignore[arg-type]
    assert delivery(v1) == (3, 17, 1700000000.123456789)
    assert delivery(v2) == (4, 18, 1700000000.5)
    for reply in ("", "_INBOX.x.y", "$JS.NAK.EVENTS.c.3.17.12.1700000000123456789.0"):
        with pytest.raises(NotJSMessageError):
            delivery(Msg(None, reply=reply))  # type: ignore[arg-type]
