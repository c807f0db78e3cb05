"""Connects to NATS and makes sure every stream and bucket stephost needs exists."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Awaitable, Callable
from secrets import token_hex
from typing import Any, TypeVar

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.transport import TcpTransport
from nats.errors import (
    AuthorizationError,
    BadSubjectError,
    ConnectionClosedError,
    ConnectionDrainingError,
    MaxPayloadError,
    OutboundBufferLimitError,
)
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, PubAck, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NoStreamResponseError, NotFoundError
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_host.config import ConfigError
from stephost_host.natsio.credentials import ClientAccess
from stephost_host.natsio.direct import subscribe_at_once
from stephost_host.natsio.integrity import StoreRecord
from stephost_host.queue.lease import LEASE_SECONDS

log = logging.getLogger("stephost.nats")
DAY = 86_400.0
# A replicated stream whose leader's node died answers nothing until its peers elect a new
# leader: 4-10 s after a SIGKILL (a clean shutdown hands leadership over at once).
LEADER_WAIT = 15.0
T = TypeVar("T")
# What nats-py refuses in a subject it publishes to (a CR/LF would inject a command).
_BLANK = re.compile(r"[ \t\r\n]")
# A reply as read off the socket: its header block (None: it has none) and its payload.
RawReply = tuple[bytes | None, bytes]


def server_urls(url: str) -> list[str]:
    """``nats_url`` may list several servers of one cluster, comma-separated."""
    servers = [u.strip() for u in url.split(",") if u.strip()]
    if not servers:
        raise ConfigError(f"nats_url={url!r}: names no NATS server")
    return servers


def where(nc: NATS) -> str:
    """The server the client is on, as host:port: a URL may carry credentials, logs must not."""
    u = nc.connected_url
    return f"{u.hostname}:{u.port}" if u else "?"


class _ElectionTolerantJetStream(JetStreamContext):
    """Publishes (emits, and every KV write, which is a publish too) ride out a leader election.

    Meanwhile the stream's subject has no responder: nothing was stored, so sending again is
    safe, and a write waits for the new leader (up to LEADER_WAIT) instead of failing the
    handler and using up its retries. A timeout (the message may have been stored) is not
    retried here. On one server a missing responder means a missing stream, and a retry
    is no help: those fail at once.
    """

    async def publish(
        self,
        subject: str,
        payload: bytes = b"",
        timeout: float | None = None,
        stream: str | None = None,
        headers: dict[str, Any] | None = None,
        msg_ttl: float | None = None,
    ) -> PubAck:
        return await through_elections(
            self._nc,
            subject,
            lambda: super(_ElectionTolerantJetStream, self).publish(
                subject, payload, timeout=timeout, stream=stream, headers=headers, msg_ttl=msg_ttl
            ),
        )


async def through_elections(nc: NATS, subject: str, write: Callable[[], Awaitable[T]]) -> T:
    """``write()`` (a JetStream publish), sent again while a cluster elects the stream's
    leader (see ``_ElectionTolerantJetStream``); every other error goes to the caller."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LEADER_WAIT
    pause = 0.05
    while True:
        try:
            return await write()
        except NoStreamResponseError:
            if not nc.is_connected or not nc._server_info.get("cluster"):
                raise
            if loop.time() + pause > deadline:
                log.warning("no JetStream leader for %s after %.0fs", subject, LEADER_WAIT)
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)


class _Client(NATS):
    """nats-py's client, writing the first command of a loop turn at once.

    nats-py queues every command and wakes its flusher task to write them: one more loop
    turn between an emit (or a KV write, an ack) and the socket. Here the first command of
    a turn goes straight into the transport when nothing is queued before it and the
    transport has no backlog; the rest of that turn's commands queue as before and the
    flusher writes them together, so a busy host still writes in batches. Order is kept
    (a queued command always goes first). Under back-pressure, while reconnecting and for
    priority commands, nats-py's own queue and flusher do everything, as before.
    """

    _wrote_this_turn = False
    _resp_sid = -1  # the request inbox's subscription, once made

    def __init__(self) -> None:
        super().__init__()
        # Requests whose replies are handed over raw (``request_raw``), by inbox token.
        self._raw_replies: dict[bytes, asyncio.Future[RawReply]] = {}
        # Their tokens: the inbox prefix is random per connection already, so a count is
        # unique (and shorter than nats-py's 26-character tokens, so never one of theirs),
        # where nats-py draws 22 random characters in Python (NUID) for every request.
        self._raw_tokens = itertools.count(1)

    def jetstream(self, **opts: Any) -> JetStreamContext:
        return _ElectionTolerantJetStream(self, **opts)

    async def _send_command(self, cmd: bytes, priority: bool = False) -> None:
        writer = None if priority or self._wrote_this_turn else self._direct_writer()
        if writer is None:
            await super()._send_command(cmd, priority)
            return
        writer.write(cmd)
        self._wrote_this_turn = True
        asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._wrote_this_turn = False

    async def _init_request_sub(self) -> None:
        # nats-py's, with the replies handled as they are read (see natsio/direct.py).
        self._resp_map = {}
        prefix = self._inbox_prefix[:]
        prefix.extend(b".")
        prefix.extend(self._nuid.next())
        prefix.extend(b".")
        self._resp_sub_prefix = prefix
        sub = await subscribe_at_once(self, (prefix + b"*").decode(), self._reply)
        self._resp_sid = sub._id

    def _reply(self, msg: Msg) -> None:
        assert self._resp_sub_prefix
        future = self._resp_map.get(msg.subject[len(self._resp_sub_prefix) :])
        if future is not None and not future.done():
            future.set_result(msg)

    async def _request_new_style(
        self, subject: str, payload: bytes, timeout: float = 1, headers: dict[str, Any] | None = None
    ) -> Msg:
        """nats-py's request (every emit and KV write is one) with a plain timer instead of
        ``asyncio.wait_for``: no waiter future, no extra callback hop between the reply's
        arrival and the caller resuming (and the reply resolves it as it is read, see
        ``_init_request_sub``). Same inbox scheme, same errors."""
        if self.is_draining_pubs:
            raise ConnectionDrainingError
        if not self._resp_sub_prefix:
            await self._init_request_sub()
        assert self._resp_sub_prefix
        token = self._nuid.next()
        token.extend(token_hex(2).encode())
        key = token.decode()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Msg] = loop.create_future()
        self._resp_map[key] = future
        timer = loop.call_later(timeout, _expire, future)
        try:
            await self.publish(
                subject, payload, reply=(self._resp_sub_prefix + token).decode(), headers=headers
            )
            return await future
        finally:
            timer.cancel()
            self._resp_map.pop(key, None)

    async def request_raw(self, subject: str, payload: bytes, headers: bytes, timeout: float) -> RawReply:
        """A request (``headers``: a ready header block, b"" for none) whose reply comes back
        as read, with no Msg and no header dict built for it (natsio/publish.py reads the
        few bytes it needs). The checks and errors of nats-py's ``request`` + ``publish``."""
        if not subject or _BLANK.search(subject):
            raise BadSubjectError
        if self.is_closed:
            raise ConnectionClosedError
        if self.is_draining_pubs:
            raise ConnectionDrainingError
        size = len(payload) + len(headers)
        if not self.is_connected and (
            self._max_pending_size <= 0 or len(payload) + self._pending_data_size > self._max_pending_size
        ):
            raise OutboundBufferLimitError  # reconnecting, and the buffer is full (or off)
        if len(payload) > self._max_payload:
            raise MaxPayloadError
        if not self._resp_sub_prefix:
            await self._init_request_sub()
        assert self._resp_sub_prefix
        key = b"%x" % next(self._raw_tokens)
        reply = self._resp_sub_prefix + key
        if headers:
            cmd = b"HPUB %s %s %d %d\r\n%s%s\r\n" % (
                subject.encode(),
                reply,
                len(headers),
                size,
                headers,
                payload,
            )
        else:
            cmd = b"PUB %s %s %d\r\n%s\r\n" % (subject.encode(), reply, size, payload)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RawReply] = loop.create_future()
        self._raw_replies[key] = future
        timer = loop.call_later(timeout, _expire, future)
        try:
            self.stats["out_msgs"] += 1
            self.stats["out_bytes"] += len(payload)
            await self._send_command(cmd)
            if self._flush_queue is not None and self._flush_queue.empty():
                await self._flush_pending()
            return await future
        finally:
            timer.cancel()
            self._raw_replies.pop(key, None)

    async def _process_msg(self, sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes) -> None:
        # A reply to ``request_raw`` is handed over as read (``headers`` is None when it has
        # none, whatever nats-py's annotation says); everything else as nats-py does.
        if sid == self._resp_sid and self._raw_replies and self._resp_sub_prefix:
            future = self._raw_replies.get(subject[len(self._resp_sub_prefix) :])
            if future is not None:
                self.stats["in_msgs"] += 1
                self.stats["in_bytes"] += len(data)
                if not future.done():
                    future.set_result((headers, data))
                return
        await super()._process_msg(sid, subject, reply, data, headers)

    async def _flush_pending(self, force_flush: bool = False) -> Any:
        if not getattr(self, "_pending", True) and not force_flush and self.is_connected:
            self._pending_data_size = 0  # a PING written directly counts itself here
            return None  # written already: waking the flusher would find nothing to write
        return await super()._flush_pending(force_flush)

    def _direct_writer(self) -> asyncio.StreamWriter | None:
        """The socket's writer when a command may go straight to it, else None (queue it).
        These are nats-py internals: if a release renames them, every command simply takes
        nats-py's own path again."""
        try:
            if self._pending or not self.is_connected:
                return None
            transport = self._transport
            writer = transport._io_writer if isinstance(transport, TcpTransport) else None
        except AttributeError:
            return None
        if writer is None or writer.transport.is_closing() or writer.transport.get_write_buffer_size():
            return None
        return writer


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(NatsTimeout())


def _refused(exc: Exception) -> bool:
    # During the handshake nats-py reports the server's -ERR as a plain Error, later as
    # AuthorizationError; either way the server said no to these credentials.
    return isinstance(exc, AuthorizationError) or "authorization violation" in str(exc).lower()


async def connect(url: str, name: str = "stephost-host", access: ClientAccess | None = None) -> NATS:
    """Connect to one server or any of a cluster's (the client fails over between them).

    Credentials in ``url`` (user:password@, token@) are read by nats-py; ``access`` adds an
    NKey, a JWT .creds file or TLS.
    """
    nc = _Client()
    last = ""

    async def disconnected() -> None:
        if not nc.is_closed:
            log.warning("disconnected from NATS at %s; reconnecting", last or "?")

    async def reconnected() -> None:
        nonlocal last
        last = where(nc)
        log.info("reconnected to NATS at %s", last)

    async def error(exc: Exception) -> None:
        if _refused(exc):
            if not last:
                raise AuthorizationError  # wrong credentials at start-up: fail, never retry forever
            log.error("NATS at %s refused the host's credentials; retrying", last)
            return
        log.debug("NATS client error: %s", exc)

    try:
        await nc.connect(
            server_urls(url),
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=error,
            **(access or ClientAccess()).options(),
        )
    except AuthorizationError:
        await nc.close()
        raise ConfigError(
            "the NATS server refused the host's credentials (see nats_url, nats_creds, nats_nkey)"
        ) from None
    last = where(nc)
    return nc


async def ensure_stream(
    js: JetStreamContext, config: StreamConfig, record: StoreRecord | None = None
) -> None:
    try:
        await js.stream_info(config.name or "")
    except NotFoundError:
        if record is None or record.may_create(config.name or ""):
            await js.add_stream(config)
            log.info("created stream %s", config.name)
        return
    await js.update_stream(config)


async def ensure_kv(
    js: JetStreamContext, config: KeyValueConfig, record: StoreRecord | None = None
) -> KeyValue | None:
    """The bucket, or None when it is missing and may not be created (``record`` says why)."""
    try:
        kv = await js.key_value(config.bucket)
    except Exception:  # nats-py raises BucketNotFoundError or NotFoundError by version
        if record is not None and not record.may_create(kv_stream(config.bucket)):
            return None
        kv = await js.create_key_value(config)
        log.info("created key/value bucket %s", config.bucket)
        return kv
    # A bucket made before `replicas` changed (e.g. 1 -> 3 on moving to a cluster) follows it,
    # as the streams do through update_stream.
    info = await js.stream_info(kv_stream(config.bucket))
    if info.config.num_replicas != config.replicas:
        info.config.num_replicas = config.replicas
        await js.update_stream(info.config)
        log.info("key/value bucket %s now has %d replicas", config.bucket, config.replicas)
    return kv


def kv_stream(bucket: str) -> str:
    """The stream a KV bucket is kept in."""
    return f"KV_{bucket}"


class Buckets:
    """The KV buckets, opened once."""

    def __init__(
        self, state: KeyValue, cron_locks: KeyValue, streams: KeyValue, leases: KeyValue, failures: KeyValue
    ) -> None:
        self.state = state
        self.cron_locks = cron_locks
        self.streams = streams
        self.leases = leases
        self.failures = failures


async def ensure_all(
    js: JetStreamContext,
    record: StoreRecord | None = None,
    *,
    event_max_age_days: float,
    replicas: int = 1,
) -> Buckets:
    """Every stream and bucket, made if missing, unless ``record`` says it existed before:
    then nothing is created and the host refuses to start, naming what is gone."""
    streams = [
        StreamConfig(
            name=names.EVENTS_STREAM,
            subjects=[names.EVENTS_SUBJECTS, names.REPLAY_SUBJECTS],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=event_max_age_days * DAY,
            num_replicas=replicas,
            duplicate_window=120.0,
        ),
        StreamConfig(
            name=names.DLQ_STREAM,
            subjects=[names.DLQ_SUBJECTS],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
        ),
    ]
    for config in streams:
        await ensure_stream(js, config, record)

    async def bucket(name: str, ttl: float | None = None) -> KeyValue | None:
        # One value per key, on disk, replicated like the streams; ttl expires whole entries.
        config = KeyValueConfig(bucket=name, history=1, ttl=ttl, storage=StorageType.FILE, replicas=replicas)
        return await ensure_kv(js, config, record)

    buckets = {
        names.STATE_BUCKET: await bucket(names.STATE_BUCKET),
        names.CRON_LOCK_BUCKET: await bucket(names.CRON_LOCK_BUCKET, ttl=DAY),
        names.STREAMS_BUCKET: await bucket(names.STREAMS_BUCKET),
        names.LEASE_BUCKET: await bucket(names.LEASE_BUCKET, ttl=LEASE_SECONDS),
        names.FAILURES_BUCKET: await bucket(names.FAILURES_BUCKET, ttl=event_max_age_days * DAY),
    }
    if record is not None:
        record.refuse_if_missing()
        record.note([c.name or "" for c in streams] + [kv_stream(b) for b in buckets])
    kvs = [kv for kv in buckets.values() if kv is not None]
    assert len(kvs) == len(buckets)  # refuse_if_missing raised otherwise
    return Buckets(*kvs)
