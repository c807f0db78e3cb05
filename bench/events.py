"""Event throughput: raw nats-py JetStream publish -> pull -> ack, against a two-hop stephost chain."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import nats
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError

from stephost_host import names

WINDOW = 256  # publishes in flight at once, for both the baseline and the chain's injector


@dataclass
class Rate:
    name: str
    count: int
    seconds: float
    cpu_seconds: float = 0.0  # the calling (bench) process's user+sys, where measured

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


async def _publish_all(
    js: nats.js.JetStreamContext,
    subject: str,
    n: int,
    headers: dict[str, str] | None = None,
) -> None:
    body = b'{"n":1,"payload":"0123456789abcdef"}'
    for start in range(0, n, WINDOW):
        await asyncio.gather(
            *(js.publish(subject, body, headers=headers) for _ in range(min(WINDOW, n - start)))
        )


async def raw_publish(url: str, n: int, label: str) -> Rate:
    """Publish only (each awaits its PubAck), the ceiling an emit can reach."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    stream = f"BENCH_PUB_{int(time.time() * 1000)}"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream}.x"]))
    started = time.perf_counter()
    await _publish_all(js, f"{stream}.x", n)
    elapsed = time.perf_counter() - started
    await js.delete_stream(stream)
    await nc.close()
    return Rate(label, n, elapsed)


async def raw_round_trip(url: str, n: int) -> Rate:
    """Baseline: publish n, pull and ack them concurrently, until the last ack."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    stream = f"BENCH_RT_{int(time.time() * 1000)}"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream}.x"]))
    await js.add_consumer(
        stream, ConsumerConfig(durable_name="c", ack_policy=AckPolicy.EXPLICIT, max_ack_pending=10_000)
    )
    psub = await js.pull_subscribe_bind(durable="c", stream=stream)

    async def consume() -> None:
        done = 0
        while done < n:
            try:
                msgs = await psub.fetch(64, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            await asyncio.gather(*(m.ack() for m in msgs))
            done += len(msgs)

    started = time.perf_counter()
    await asyncio.gather(_publish_all(js, f"{stream}.x", n), consume())
    elapsed = time.perf_counter() - started
    await js.delete_stream(stream)
    await nc.close()
    return Rate("raw JetStream publish->pull->ack", n, elapsed)


async def chain(url: str, n: int, label: str) -> Rate:
    """Inject n events into bench.hop1; hop1 emits bench.hop2; done when hop2 has acked n more."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    hop2 = names.consumer_name("bench.hop2", "hop2")

    async def acked() -> int:
        info = await js.consumer_info(names.EVENTS_STREAM, hop2)
        return int(info.ack_floor.consumer_seq)

    # The host makes its consumers once the sidecars are in: on a busy machine that may be
    # just after it reports them live.
    deadline = time.monotonic() + 60
    while True:
        try:
            before = await acked()
            break
        except NotFoundError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
    started = time.perf_counter()
    await _publish_all(js, names.topic_subject("bench.hop1"), n, headers={names.HEADER_TRACE: "bench"})
    deadline = time.monotonic() + max(120.0, n / 100)
    while (done := await acked() - before) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {n} events reached the end of the chain")
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    await nc.close()
    return Rate(label, n, elapsed)
