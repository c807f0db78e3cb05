"""FIFO queues: one event at a time per messageGroupId, in emit order; groups in parallel.

Order needs a single reader, so across hosts one host at a time (the holder of a lease
in NATS KV) consumes a FIFO step; if it dies the lease lapses and another host takes
over. Inside that host each group has its own line: its events run one after another,
and a failed event is retried in place (the message kept, its visibility extended)
before the next one of its group may start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from nats.aio.msg import Msg
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_host.queue.consumer import StepConsumer, exhausted
from stephost_host.queue.delivery import delivery
from stephost_host.queue.lease import Lease

log = logging.getLogger("stephost.queue")
DEFAULT_GROUP = "default"  # events that reached a FIFO step without a messageGroupId


class FifoConsumer(StepConsumer):
    def __init__(self, *args: object, leases: KeyValue, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lease = Lease(leases, names.fifo_lease_key(self.name))
        self.lines: dict[str, deque[Msg]] = {}
        self._held = 0
        self._first_turn = True

    def start(self) -> None:
        self.lease.start()
        super().start()

    async def turn(self) -> None:
        if self.lease.held.is_set():
            return
        await self.lease.held.wait()
        if self._first_turn:
            self._first_turn = False
            return
        # Taking over from a host that died: its unacknowledged events come back after the
        # visibility timeout, and must run before anything newer of their groups.
        info = await self.js.consumer_info(names.EVENTS_STREAM, self.name)
        if info.num_ack_pending:
            log.info(
                "took over FIFO step %s; waiting %.0fs for %d unfinished event(s) to return",
                self.entry.name,
                self._ack_wait(),
                info.num_ack_pending,
            )
            await asyncio.sleep(self._ack_wait())

    @property
    def held(self) -> int:
        return self._held

    def dispatch(self, msg: Msg) -> None:
        group = (msg.headers or {}).get(names.HEADER_GROUP) or DEFAULT_GROUP
        line = self.lines.get(group)
        self._held += 1
        if line is not None:
            line.append(msg)  # its group is busy: it waits its turn
            return
        self.lines[group] = deque([msg])
        self.track(asyncio.create_task(self._run_line(group)))

    async def _run_line(self, group: str) -> None:
        line = self.lines[group]
        try:
            while line:
                await self._in_order(line[0])
                line.popleft()
                self._held -= 1
                self._room.set()
        finally:
            del self.lines[group]

    async def _in_order(self, msg: Msg) -> None:
        """Settle one event before its group moves on: retries happen here, not by redelivery."""
        found = self._context(msg)
        if found is None:  # delaySeconds: hold it (and so its group) until due; no redelivery
            due = delivery(msg).stored_at + self.config.infrastructure.queue.delaySeconds
            await self._hold(msg, due - time.time())
            found = self._context(msg, delay_done=True)
        assert found is not None
        attempt, trace_id, extra = found
        try:
            while True:
                if attempt > self.max_attempts:
                    await self._dead(msg, trace_id, attempt - 1, exhausted(attempt - 1))
                    return
                outcome, delay, err = await self._attempt(msg, attempt, trace_id, extra)
                await self._settled(msg, attempt, outcome)
                if outcome == "ack":
                    await msg.ack()
                    return
                if outcome == "dead":
                    await self._dead(msg, trace_id, attempt, err)
                    return
                await self._hold(msg, delay)
                attempt += 1
        except asyncio.CancelledError:
            await self._nak(msg, 0)
            raise

    async def _hold(self, msg: Msg, seconds: float) -> None:
        """Wait while keeping the message invisible to everyone else."""
        chunk = max(1.0, self._ack_wait() / 3)
        while seconds > 0:
            await asyncio.sleep(min(chunk, seconds))
            seconds -= chunk
            await msg.in_progress()

    async def stop(self, drain_seconds: float) -> None:
        await super().stop(drain_seconds)
        await self.lease.release()
