"""The host's hot NATS paths without extra loop turns: replies to requests and the messages
of a pull request are handled as nats-py reads them, requests time out on a plain timer,
and a pull request hands messages over as they arrive. Against a real nats-server."""

from __future__ import annotations

import asyncio
import time

import pytest
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig

from stephost_host import names
from stephost_host.natsio import jetstream
from stephost_host.natsio.direct import subscribe_at_once
from stephost_host.queue.publisher import Publisher
from stephost_host.queue.pull import EXPIRED, PullRequests
from tests.harness import NatsServer


def test_a_message_is_handled_inside_the_read_and_nothing_stays_pending(nats_server: NatsServer) -> None:
    async def run() -> tuple[list[bytes], list[bool], int]:
        nc = await jetstream.connect(nats_server.url)
        try:
            got: list[bytes] = []
            inside_read: list[bool] = []
            all_in = asyncio.Event()

            def handler(msg: Msg) -> None:
                got.append(msg.data)
                # Called by nats-py's reader, not by a subscription task of its own.
                task = asyncio.current_task()
                inside_read.append(task is not None and task is nc._reading_task)
                if len(got) == 200:
                    all_in.set()

            sub = await subscribe_at_once(nc, "direct.test", handler)
            for i in range(200):
                await nc.publish("direct.test", str(i).encode())
            await nc.flush()
            await asyncio.wait_for(all_in.wait(), 10)
            return got, inside_read, sub._pending_size
        finally:
            await nc.close()

    got, inside_read, pending = asyncio.run(run())
    assert got == [str(i).encode() for i in range(200)]  # all of them, in order
    assert all(inside_read)
    assert pending == 0  # else nats-py would call it a slow consumer and drop messages


def test_requests_get_their_replies_and_time_out_on_their_timer(nats_server: NatsServer) -> None:
    async def run() -> tuple[list[bytes], float, int]:
        nc = await jetstream.connect(nats_server.url)
        try:

            async def echo(msg: Msg) -> None:
                await msg.respond(b"re:" + msg.data)

            await nc.subscribe("direct.echo", cb=echo)
            replies = await asyncio.gather(
                *(nc.request("direct.echo", str(i).encode(), 5) for i in range(50))
            )
            await nc.subscribe("direct.silent")  # someone listens, nobody answers
            started = time.monotonic()
            with pytest.raises(NatsTimeout):
                await nc.request("direct.silent", b"?", timeout=0.3)
            return [r.data for r in replies], time.monotonic() - started, len(nc._resp_map)
        finally:
            await nc.close()

    replies, waited, left = asyncio.run(run())
    assert replies == [f"re:{i}".encode() for i in range(50)]
    assert 0.25 < waited < 3
    assert left == 0  # no reply waits forgotten in the map


def test_a_pull_request_hands_over_messages_as_they_are_stored(nats_server: NatsServer) -> None:
    async def run() -> tuple[float, str, list[bytes], str, float]:
        nc = await jetstream.connect(nats_server.url)
        try:
            js = nc.jetstream()
            await jetstream.ensure_all(js, event_max_age_days=1)
            await js.add_consumer(
                names.EVENTS_STREAM,
                ConsumerConfig(
                    durable_name="pull-test",
                    filter_subject=names.topic_subject("pull.test"),
                    ack_policy=AckPolicy.EXPLICIT,
                ),
            )
            got: list[Msg] = []
            first = asyncio.Event()

            def deliver(msg: Msg) -> None:
                got.append(msg)
                first.set()

            pulls = PullRequests(nc, "$JS.API", names.EVENTS_STREAM, "pull-test", deliver)
            await pulls.start()
            # One open request for 3; a message stored while it waits arrives at once.
            request = asyncio.create_task(pulls.pull(3, expires=5.0))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            await Publisher(js).emit("pull.test", '{"n": 0}', "t0")
            await asyncio.wait_for(first.wait(), 5)
            arrived = time.monotonic() - started
            for n in (1, 2):
                await Publisher(js).emit("pull.test", f'{{"n": {n}}}', f"t{n}")
            filled = await asyncio.wait_for(request, 10)  # all 3 came: it ended at once
            for msg in got:
                await msg.ack()
            # Nothing left: the request ends when the server expires it.
            started = time.monotonic()
            expired = await pulls.pull(5, expires=0.5)
            waited = time.monotonic() - started
            await pulls.stop()
            return arrived, filled, [m.data for m in got], expired, waited
        finally:
            await nc.close()

    arrived, filled, data, expired, waited = asyncio.run(run())
    assert arrived < 2.0  # well inside the request's 5 s: handed over, not collected
    assert filled == ""
    assert data == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert expired == EXPIRED
    assert 0.4 < waited < 3
