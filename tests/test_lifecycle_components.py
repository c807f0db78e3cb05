"""The lifecycle runner on its own: start order, reverse stop, cleanup after a failed start,
stop timeouts, and stages that stop together (pure asyncio, no host)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from stephost_host.lifecycle import Lifecycle, Together


class Part:
    """A component that records what happens to it in a shared journal."""

    def __init__(
        self,
        name: str,
        journal: list[str],
        *,
        fail_start: bool = False,
        fail_stop: bool = False,
        stop_gate: asyncio.Event | None = None,
        stop_timeout: float = 1.0,
    ) -> None:
        self.name = name
        self.journal = journal
        self.fail_start = fail_start
        self.fail_stop = fail_stop
        self.stop_gate = stop_gate  # stop() waits for it: a slow or hung component
        self.stop_timeout = stop_timeout
        self.stopping = asyncio.Event()

    async def start(self) -> None:
        if self.fail_start:
            raise RuntimeError(f"{self.name} cannot start")
        self.journal.append(f"start {self.name}")

    async def stop(self) -> None:
        self.journal.append(f"stopping {self.name}")
        self.stopping.set()
        if self.stop_gate is not None:
            await self.stop_gate.wait()
        if self.fail_stop:
            raise RuntimeError(f"{self.name} cannot stop")
        self.journal.append(f"stop {self.name}")


async def test_starts_in_order_and_stops_in_reverse() -> None:
    journal: list[str] = []
    life = Lifecycle()
    await life.start(Part("nats", journal), Part("port", journal))
    await life.start(Part("http", journal))  # a later call depends on the earlier ones
    assert journal == ["start nats", "start port", "start http"]
    assert life.started == ["nats", "port", "http"]
    journal.clear()
    await life.stop()
    assert [e for e in journal if e.startswith("stop ")] == ["stop http", "stop port", "stop nats"]
    assert life.started == []
    await life.stop()  # nothing left: a second stop does nothing
    assert journal.count("stop nats") == 1


async def test_a_failed_start_stops_what_did_start_and_raises(caplog: pytest.LogCaptureFixture) -> None:
    journal: list[str] = []
    life = Lifecycle()
    await life.start(Part("nats", journal))
    with pytest.raises(RuntimeError, match="http cannot start"), caplog.at_level(logging.ERROR):
        await life.start(
            Part("port", journal),
            Together(
                Part("consumers", journal), Part("http", journal, fail_start=True), Part("cron", journal)
            ),
            Part("runtime", journal),
        )
    stops = [e for e in journal if e.startswith("stop")]
    # The failed one and those after it never started, so they are not stopped.
    assert stops == [
        "stopping consumers",
        "stop consumers",
        "stopping port",
        "stop port",
        "stopping nats",
        "stop nats",
    ]
    assert "start cron" not in journal and "start runtime" not in journal
    assert "http did not start; stopping what did" in caplog.text
    assert life.started == []


async def test_a_stop_past_its_timeout_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    journal: list[str] = []
    hung = asyncio.Event()  # never set
    life = Lifecycle()
    await life.start(Part("nats", journal), Part("sidecars", journal, stop_gate=hung, stop_timeout=0.05))
    with caplog.at_level(logging.WARNING, logger="stephost.lifecycle"):
        await asyncio.wait_for(life.stop(), 5)
    assert "sidecars did not stop within 0.05s; moving on" in caplog.text
    assert "stop sidecars" not in journal
    assert journal[-1] == "stop nats"  # the runner moved on to the next component


async def test_a_stop_that_raises_is_logged_and_the_rest_still_stop(caplog: pytest.LogCaptureFixture) -> None:
    journal: list[str] = []
    life = Lifecycle()
    await life.start(Part("nats", journal), Part("http", journal, fail_stop=True))
    with caplog.at_level(logging.ERROR, logger="stephost.lifecycle"):
        await life.stop()
    assert "http failed to stop; moving on" in caplog.text
    assert journal[-1] == "stop nats"


async def test_a_stage_starts_in_order_and_stops_together() -> None:
    journal: list[str] = []
    release = asyncio.Event()
    http = Part("http", journal, stop_gate=release, stop_timeout=60)
    consumers = Part("consumers", journal, stop_gate=release, stop_timeout=60)
    life = Lifecycle()
    await life.start(Part("sidecars", journal), Together(http, consumers))
    assert journal == ["start sidecars", "start http", "start consumers"]
    stopping = asyncio.create_task(life.stop())
    # Each waits on the gate, so only a concurrent stop gets both of them going.
    await asyncio.wait_for(asyncio.gather(http.stopping.wait(), consumers.stopping.wait()), 5)
    assert "stopping sidecars" not in journal  # the stage before waits for the whole stage
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert journal[-1] == "stop sidecars"
