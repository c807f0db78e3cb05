"""One durable pull consumer per (topic, step): pull, invoke, then ack, retry or dead-letter.

A message is acknowledged only after its handler succeeded (or after its dead letter
is stored), so a host or sidecar dying mid-flight means redelivery, never loss.
Attempts are counted by JetStream (``num_delivered``), which survives host restarts;
the consumer itself never gives up on a message (``max_deliver`` unlimited) because
stephost, not the server, decides when an event is dead, and always writes the
dead letter first.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from stephost_host import names
from stephost_host.errors import HostError, InvocationTimeout, StepFailed
from stephost_host.observe.spans import parse_traceparent
from stephost_host.queue.backoff import retry_delay
from stephost_host.queue.delivery import delivery
from stephost_host.queue.dlq import DeadLetters
from stephost_host.queue.pull import EXPIRED, PullRequests
from stephost_host.router.invoker import Invoker
from stephost_host.steps.models import EventStep, StepDef

log = logging.getLogger("stephost.queue")
MAX_FETCH = 64
# How long one pull request stays open on a quiet step (a new one follows at once).
PULL_EXPIRES = 1.0
# A lost sidecar is retried soon: the work did not fail, its runner disappeared.
LOST_RETRY_DELAY = 0.5


class StepConsumer:
    def __init__(
        self,
        js: JetStreamContext,
        invoker: Invoker,
        dlq: DeadLetters,
        entry: StepDef,
        topic: str,
        *,
        since: datetime | None,
        backoff_base: float,
        backoff_max: float,
        max_in_flight: int = 256,
    ) -> None:
        self.js = js
        self.invoker = invoker
        self.dlq = dlq
        self.entry = entry
        self.topic = topic
        self.since = since
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_in_flight = max_in_flight
        self.name = names.consumer_name(topic, entry.name)
        self.live = asyncio.Event()  # set while a sidecar serves the step
        self.inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        self._room.set()

    @property
    def config(self) -> EventStep:
        assert isinstance(self.entry.config, EventStep)
        return self.entry.config

    def _ack_wait(self) -> float:
        # Long enough for a handler to finish; a dead host's messages come back after it.
        return self.config.visibility_timeout

    async def ensure(self) -> None:
        config = ConsumerConfig(
            durable_name=self.name,
            # Its topic, plus the dead letters replayed to this step alone.
            filter_subjects=[names.topic_subject(self.topic), names.replay_subject(self.name)],
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait(),
            max_deliver=-1,
            max_ack_pending=10_000,
            # Only consulted on first creation (see Consumers.start_position); None: every
            # event the stream still holds (an explicit replay).
            deliver_policy=DeliverPolicy.ALL if self.since is None else DeliverPolicy.BY_START_TIME,
            opt_start_time=self.since,
            description=f"stephost: step {self.entry.name} on topic {self.topic}",
        )
        try:
            existing = await self.js.consumer_info(names.EVENTS_STREAM, self.name)
        except NotFoundError:
            pass
        else:  # where it reads from is fixed at creation; only the rest may be updated
            config.deliver_policy = existing.config.deliver_policy
            config.opt_start_time = existing.config.opt_start_time
        await self.js.add_consumer(names.EVENTS_STREAM, config)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.name}")

    async def _run(self) -> None:
        # nats-py keeps the client and the API prefix private; it has no public accessor.
        pulls = PullRequests(self.js._nc, self.js._prefix, names.EVENTS_STREAM, self.name, self.dispatch)
        while True:
            try:
                await self.ensure()
                await pulls.start()
                break
            except Exception as exc:
                log.warning(
                    "cannot create consumer for %s on %s (%s); retrying", self.entry.name, self.topic, exc
                )
                await asyncio.sleep(1.0)
        try:
            while True:
                await self.live.wait()
                await self.turn()
                await self._room.wait()
                want = min(MAX_FETCH, self.max_in_flight - self.held)
                try:
                    ended = await pulls.pull(want, expires=PULL_EXPIRES)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("pull for %s failed: %s", self.entry.name, exc)
                    await asyncio.sleep(0.5)
                    continue
                if ended not in ("", EXPIRED):  # e.g. 409 (leader change), 503 (no JetStream)
                    log.warning("pull for %s ended with status %s", self.entry.name, ended)
                    await asyncio.sleep(0.5)
                if self.held >= self.max_in_flight:
                    self._room.clear()
        finally:
            await pulls.stop()

    async def turn(self) -> None:
        """Wait until this host may fetch (always, for standard queues)."""

    @property
    def held(self) -> int:
        """Messages fetched and not yet settled."""
        return len(self.inflight)

    def dispatch(self, msg: Msg) -> None:
        """Standard queues: every message on its own, concurrently."""
        self.track(asyncio.create_task(self._handle(msg)))

    def track(self, task: asyncio.Task[None]) -> None:
        self.inflight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.inflight.discard(task)
        self._room.set()

    @property
    def max_attempts(self) -> int:
        return self.config.infrastructure.queue.maxRetries + 1

    def _context(self, msg: Msg, delay_done: bool = False) -> tuple[int, str, dict[str, str]] | None:
        """(attempt, trace id, log fields) for a delivery, or None when it is not an attempt."""
        meta = delivery(msg)
        attempt = meta.attempt
        trace_id = (msg.headers or {}).get(names.HEADER_TRACE) or uuid.uuid4().hex
        extra = {"step": self.entry.name, "trace_id": trace_id, "language": self.entry.language}
        q = self.config.infrastructure.queue
        if q.delaySeconds and not delay_done:
            # delaySeconds postpones the first delivery. The message waits in the stream (so
            # the delay survives restarts) and comes back when due; that early delivery is
            # not an attempt.
            if time.time() < meta.stored_at + q.delaySeconds - 0.01:
                return None
            attempt = max(1, attempt - 1)
        return attempt, trace_id, extra

    async def _handle(self, msg: Msg) -> None:
        """Standard queues: one attempt per delivery; JetStream redelivers for the retries."""
        found = self._context(msg)
        if found is None:
            due = delivery(msg).stored_at + self.config.infrastructure.queue.delaySeconds
            await self._nak(msg, due - time.time())
            return
        attempt, trace_id, extra = found
        if attempt > self.max_attempts:
            await self._dead(msg, trace_id, attempt - 1, exhausted(attempt - 1))
            return
        try:
            outcome, delay, err = await self._attempt(msg, attempt, trace_id, extra)
        except asyncio.CancelledError:
            await self._nak(msg, 0)  # host shutting down: hand it to someone else now
            raise
        await self._settled(msg, attempt, outcome)
        if outcome == "ack":
            await msg.ack()
        elif outcome == "dead":
            await self._dead(msg, trace_id, attempt, err)
        else:
            await self._nak(msg, delay)

    async def _settled(self, msg: Msg, attempt: int, outcome: str) -> None:
        """Remember when an event first failed (for its dead letter); forget it once it succeeds."""
        try:
            if outcome in ("retry", "lost"):
                await self.dlq.note_failure(self.name, delivery(msg).stream_seq)
            elif outcome == "ack" and attempt > 1:
                await self.dlq.forget_failures(self.name, delivery(msg).stream_seq)
        except Exception as exc:  # bookkeeping only: never let it decide the event's fate
            log.debug("failure bookkeeping skipped: %s", exc)

    async def _attempt(
        self, msg: Msg, attempt: int, trace_id: str, extra: dict[str, str]
    ) -> tuple[str, float, dict[str, str]]:
        """Run one attempt; returns ("ack" | "retry" | "dead" | "lost", delay, error)."""
        max_attempts = self.max_attempts
        started = time.perf_counter()
        try:
            await self.invoker.invoke(
                self.entry.name,
                msg.data.decode(),
                trace_id,
                attempt=attempt,
                topic=self.topic,
                origin=f"{self.name}:{delivery(msg).stream_seq}",
                parent=_parent_span(msg),
                cause="event",
            )
        except StepFailed as exc:
            err = {"type": exc.type, "message": exc.message, "stack": exc.stack}
            return self._failed(attempt, max_attempts, err, exc.retryable, exc.retry_after, extra)
        except InvocationTimeout as exc:
            err = {"type": "TimeoutError", "message": str(exc), "stack": ""}
            return self._failed(attempt, max_attempts, err, True, 0.0, extra)
        except HostError as exc:  # sidecar lost mid-flight, or none connected: not the event's fault
            log.warning("attempt %d interrupted: %s; trying again", attempt, exc, extra=extra)
            return "lost", LOST_RETRY_DELAY, {}
        log.info(
            "event %s handled (attempt %d) in %.1fms",
            self.topic,
            attempt,
            (time.perf_counter() - started) * 1000,
            extra=extra,
        )
        return "ack", 0.0, {}

    def _failed(
        self,
        attempt: int,
        max_attempts: int,
        err: dict[str, str],
        retryable: bool,
        retry_after: float,
        extra: dict[str, str],
    ) -> tuple[str, float, dict[str, str]]:
        if retryable and attempt < max_attempts:
            delay = retry_delay(attempt, self.backoff_base, self.backoff_max, retry_after)
            log.warning(
                "attempt %d/%d failed: %s: %s; retrying in %.2fs",
                attempt,
                max_attempts,
                err["type"],
                err["message"],
                delay,
                extra={**extra, "stack": err["stack"]},
            )
            return "retry", delay, err
        why = "not retryable" if not retryable else f"attempt {attempt}/{max_attempts}"
        log.error(
            "event %s failed for good (%s): %s: %s; moved to dead letters",
            self.topic,
            why,
            err["type"],
            err["message"],
            extra={**extra, "stack": err["stack"]},
        )
        return "dead", 0.0, err

    async def _dead(self, msg: Msg, trace_id: str, attempts: int, err: dict[str, str]) -> None:
        try:
            await self.dlq.put(
                step=self.entry.name,
                consumer=self.name,
                topic=self.topic,
                msg=msg,
                trace_id=trace_id,
                attempts=attempts,
                error=err,
            )
        except Exception as exc:
            # Never drop it: without a stored dead letter the event goes back on the queue.
            log.error("could not store dead letter for %s (%s); will retry", self.entry.name, exc)
            await self._nak(msg, LOST_RETRY_DELAY)
            return
        await msg.term()

    async def _nak(self, msg: Msg, delay: float) -> None:
        try:
            await msg.nak(delay=delay if delay > 0 else None)
        except Exception as exc:  # connection gone: ack_wait expiry redelivers it anyway
            log.debug("nak failed: %s", exc)

    async def stop(self, drain_seconds: float) -> None:
        """Stop fetching; give in-flight handlers a bounded time, then nak the rest."""
        if self._task:
            self._task.cancel()
        if self.inflight:
            await asyncio.wait(list(self.inflight), timeout=drain_seconds)
        for task in list(self.inflight):
            task.cancel()
        if self.inflight:
            await asyncio.wait(list(self.inflight), timeout=2.0)


def exhausted(attempts: int) -> dict[str, str]:
    """The dead-letter error of an event whose attempts never reported back (sidecar or host died)."""
    return {
        "type": "AttemptsExhausted",
        "stack": "",
        "message": f"no attempt completed after {attempts} deliveries (sidecar or host lost)",
    }


def host_start_time() -> datetime:
    return datetime.now(UTC)


def _parent_span(msg: Msg) -> str:
    """The emitting invocation's span, from the event's W3C ``traceparent`` header."""
    found = parse_traceparent((msg.headers or {}).get(names.HEADER_TRACEPARENT))
    return found[1] if found else ""
