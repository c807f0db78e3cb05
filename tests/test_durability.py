"""An acknowledged emit survives the nats-server process being SIGKILLed (sync_interval: always)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from stephost_host import names
from stephost_host.natsio import jetstream
from stephost_host.queue.publisher import Publisher
from tests.harness import NatsServer


def test_acknowledged_emits_survive_a_nats_server_crash(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    count = 200

    async def emit_all() -> int:
        nc = await jetstream.connect(server.url)
        js = nc.jetstream()
        await jetstream.ensure_all(js, event_max_age_days=1)
        publisher = Publisher(js)
        acks = await asyncio.gather(
            *(publisher.emit("crash.test", f'{{"n":{i}}}', "t") for i in range(count))
        )
        await nc.close()
        return len({a.seq for a in acks})

    async def stored() -> int:
        nc = await jetstream.connect(server.url)
        info = await nc.jetstream().stream_info(names.EVENTS_STREAM)
        await nc.close()
        return int(info.state.messages)

    try:
        assert server.loop.run_until_complete(emit_all()) == count
        server.kill()  # SIGKILL: no shutdown, no flush
        server.restart()
        assert server.loop.run_until_complete(stored()) == count
    finally:
        server.stop()
