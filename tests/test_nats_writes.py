"""How the host's NATS client writes: the first command of a loop turn goes to the socket at
once (no flusher hop on an emit's path), the rest of that turn's commands go out together,
and nothing is lost or reordered either way, across a server restart too."""

from __future__ import annotations

import asyncio
from functools import partial

from nats.aio.msg import Msg

from stephost_host import names
from stephost_host.natsio import jetstream
from stephost_host.queue.publisher import Publisher
from tests.harness import NatsServer


def test_the_first_command_of_a_turn_is_written_at_once_the_rest_together(nats_server: NatsServer) -> None:
    async def run() -> tuple[int, int, int]:
        nc = await jetstream.connect(nats_server.url)
        try:
            got: list[bytes] = []
            both = asyncio.Event()
            sub = await nc.subscribe("writes.test", cb=partial(_append, got, both))
            await nc.flush()
            await nc.publish("writes.test", b"1")
            after_first = nc.pending_data_size  # nothing waits for the flusher
            await nc.publish("writes.test", b"2")  # same turn: queued for the flusher
            after_second = nc.pending_data_size
            await nc.flush()
            await asyncio.wait_for(both.wait(), 10)
            await sub.unsubscribe()
            assert got == [b"1", b"2"]
            await asyncio.sleep(0)  # a new turn: the next one goes at once again
            await nc.publish("writes.test", b"3")
            return after_first, after_second, nc.pending_data_size
        finally:
            await nc.close()

    first, second, next_turn = asyncio.run(run())
    assert first == 0 and next_turn == 0
    assert second > 0


async def _append(into: list[bytes], both: asyncio.Event, msg: Msg) -> None:
    into.append(msg.data)
    if len(into) == 2:
        both.set()


def test_concurrent_emits_are_all_stored_in_the_order_they_were_sent(nats_server: NatsServer) -> None:
    count = 500

    async def run() -> list[int]:
        nc = await jetstream.connect(nats_server.url)
        try:
            js = nc.jetstream()
            await jetstream.ensure_all(js, event_max_age_days=1)
            publisher = Publisher(js)
            acks = await asyncio.gather(
                *(publisher.emit("writes.order", f'{{"n":{i}}}', "t") for i in range(count))
            )
            info = await js.stream_info(names.EVENTS_STREAM)
            assert info.state.messages == count
            return [a.seq for a in acks]
        finally:
            await nc.close()

    seqs = asyncio.run(run())
    assert seqs == sorted(seqs) and len(set(seqs)) == count  # sent in order, stored in order


def test_emits_during_a_server_restart_wait_and_are_stored(nats_server: NatsServer) -> None:
    """While the server is away, commands queue in nats-py's buffer (no direct writes); after
    the reconnect they are written and acknowledged."""
    loop = nats_server.loop

    async def connect() -> tuple[object, Publisher]:
        nc = await jetstream.connect(nats_server.url)
        js = nc.jetstream(timeout=30)
        await jetstream.ensure_all(js, event_max_age_days=1)
        return nc, Publisher(js)

    nc, publisher = loop.run_until_complete(connect())
    try:
        loop.run_until_complete(publisher.emit("writes.restart", '{"n":0}', "t"))
        nats_server.kill()
        pending = [loop.create_task(publisher.emit("writes.restart", f'{{"n":{i}}}', "t")) for i in (1, 2)]
        nats_server.restart()  # same port and store
        acks = loop.run_until_complete(asyncio.gather(*pending))
        assert [a.seq for a in acks] == sorted(a.seq for a in acks)
        info = loop.run_until_complete(publisher.js.stream_info(names.EVENTS_STREAM))
        assert info.state.messages == 3
    finally:
        loop.run_until_complete(nc.close())  # type: ignore[attr-defined]
