"""Where deployments are kept: records, numbers, env, logs, the lock and the active pointer.

All in NATS, so every host sees the same history and a restarted host picks up where the
last one was. Every write that two hosts (or the pipeline and a cancel) could race on is a
compare-and-set on the key's revision.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy, KeyValueConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from stephost_host import names
from stephost_host.deployments.models import Deployment
from stephost_host.natsio.jetstream import DAY, ensure_kv, ensure_stream
from stephost_host.natsio.kv import get_json, values
from stephost_wire import codec

log = logging.getLogger("stephost.deploy")


class Conflict(Exception):
    """Someone else changed the key first (a lost compare-and-set)."""


class Records:
    def __init__(
        self, nc: NATS, js: JetStreamContext, kv: KeyValue, env: KeyValue, *, lease_seconds: float = 30.0
    ) -> None:
        self.nc = nc
        self.js = js
        self.kv = kv
        self.env_kv = env
        self.lease_seconds = lease_seconds  # a runner that stops renewing its lock loses it after this

    @classmethod
    async def open(
        cls, nc: NATS, js: JetStreamContext, *, replicas: int, lease_seconds: float = 30.0
    ) -> Records:
        def config(bucket: str) -> KeyValueConfig:
            return KeyValueConfig(bucket=bucket, history=1, storage=StorageType.FILE, replicas=replicas)

        kv = await ensure_kv(js, config(names.DEPLOY_BUCKET))
        env = await ensure_kv(js, config(names.DEPLOY_ENV_BUCKET))
        assert kv is not None and env is not None  # no store record given: always created
        await ensure_stream(
            js,
            StreamConfig(
                name=names.DEPLOY_LOGS_STREAM,
                subjects=[names.DEPLOY_LOGS_SUBJECTS],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                num_replicas=replicas,
                max_age=30 * DAY,
            ),
        )
        return cls(nc, js, kv, env, lease_seconds=lease_seconds)

    # -- numbers ----------------------------------------------------------------

    async def next_number(self) -> int:
        """The next deployment number of the project (1, 2, 3...), unique across hosts."""
        while True:
            found = await get_json(self.kv, names.DEPLOY_SEQ_KEY)
            number = (found[0] if found else 0) + 1
            try:
                if found is None:
                    await self.kv.create(names.DEPLOY_SEQ_KEY, codec.dumps_bytes(number))
                else:
                    await self.kv.update(names.DEPLOY_SEQ_KEY, codec.dumps_bytes(number), last=found[1])
                return int(number)
            except KeyWrongLastSequenceError:
                continue  # another host took this number: take the next

    # -- records ----------------------------------------------------------------

    async def create(self, record: Deployment) -> None:
        key = names.deployment_key(record.id)
        record._revision = await self.kv.create(key, codec.dumps_bytes(record.dump()))

    async def get(self, deployment_id: str) -> Deployment | None:
        """The record, its activation as the active pointer says (read after the record, so a
        switch is seen at least as recent as the record)."""
        found = await get_json(self.kv, names.deployment_key(deployment_id))
        if found is None:
            return None
        record = Deployment.model_validate(found[0])
        record._revision = found[1]
        return record.seen_under(await self._active_id())

    async def save(
        self, record: Deployment, merge: Callable[[Deployment, Deployment], None] | None = None
    ) -> None:
        """Write the record over the revision last seen; on a lost race, re-read, let ``merge``
        copy into ``record`` what the other writer decided (a cancel), and write again."""
        key = names.deployment_key(record.id)
        while True:
            record.updated_at = round(time.time(), 3)
            try:
                record._revision = await self.kv.update(
                    key, codec.dumps_bytes(record.dump()), last=record._revision
                )
                return
            except KeyWrongLastSequenceError:
                stored = await self.get(record.id)
                if stored is None:
                    raise Conflict(f"deployment {record.id} was deleted") from None
                if merge is None:
                    raise Conflict(f"deployment {record.id} was changed by someone else") from None
                merge(stored, record)
                record._revision = stored._revision

    async def change(self, deployment_id: str, edit: Callable[[Deployment], None]) -> Deployment | None:
        """Read, edit and write back one record, again until no one else wrote in between."""
        while True:
            record = await self.get(deployment_id)
            if record is None:
                return None
            edit(record)
            try:
                await self.save(record)
                return record
            except Conflict:
                continue

    async def all(self) -> list[Deployment]:
        """Every record, newest first."""
        found = await values(self.nc, self.js, names.DEPLOY_BUCKET, "rec.*")
        active = await self._active_id()  # one pointer for all: exactly one shows active
        records = [Deployment.model_validate(v).seen_under(active) for v in found]
        return sorted(records, key=lambda r: r.number, reverse=True)

    # -- env (values never leave the host except to the version's workers) -------

    async def put_env(self, deployment_id: str, env: dict[str, str]) -> None:
        await self.env_kv.put(names.token(deployment_id), codec.dumps_bytes(env))

    async def get_env(self, deployment_id: str) -> dict[str, str]:
        found = await get_json(self.env_kv, names.token(deployment_id))
        return dict(found[0]) if found else {}

    # -- logs -------------------------------------------------------------------

    async def log(self, deployment_id: str, line: str) -> None:
        await self.js.publish(names.deploy_logs_subject(deployment_id), line.encode())

    async def logs(self, deployment_id: str) -> list[str]:
        """The deployment's whole log so far."""
        subject = names.deploy_logs_subject(deployment_id)
        info = await self.js.stream_info(names.DEPLOY_LOGS_STREAM, subjects_filter=subject)
        count = int((info.state.subjects or {}).get(subject, 0))
        if not count:
            return []
        sub = await self.js.subscribe(
            subject, stream=names.DEPLOY_LOGS_STREAM, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        out: list[str] = []
        try:
            while len(out) < count:
                msg = await sub.next_msg(timeout=5)
                out.append(msg.data.decode(errors="replace"))
        except (TimeoutError, nats.errors.TimeoutError):
            pass  # the stream lost old lines to its age limit: what is there
        finally:
            await sub.unsubscribe()
        return out

    # -- the one-deploy-at-a-time lock --------------------------------------------

    async def acquire(self, deployment_id: str, runner: str) -> bool:
        """Take the project's deploy lock for this deployment (or renew it); False when another
        live deployment holds it."""
        value = codec.dumps(
            {"id": deployment_id, "runner": runner, "until": time.time() + self.lease_seconds}
        )
        found = await get_json(self.kv, names.DEPLOY_LOCK_KEY)
        try:
            if found is None:
                await self.kv.create(names.DEPLOY_LOCK_KEY, value.encode())
                return True
            held, revision = found
            if held.get("id") != deployment_id and held.get("until", 0) > time.time():
                return False
            await self.kv.update(names.DEPLOY_LOCK_KEY, value.encode(), last=revision)
            return True
        except KeyWrongLastSequenceError:
            return False

    async def holder(self) -> str:
        found = await get_json(self.kv, names.DEPLOY_LOCK_KEY)
        if found is None or found[0].get("until", 0) <= time.time():
            return ""
        return str(found[0].get("id", ""))

    async def release(self, deployment_id: str) -> None:
        found = await get_json(self.kv, names.DEPLOY_LOCK_KEY)
        if found is not None and found[0].get("id") == deployment_id:
            try:
                await self.kv.delete(names.DEPLOY_LOCK_KEY, last=found[1])
            except KeyWrongLastSequenceError:
                pass  # taken over meanwhile: not ours to delete

    # -- the active pointer -------------------------------------------------------

    async def active(self) -> tuple[dict[str, Any], int]:
        """({"deploymentId", "version"}, revision); ({}, 0) while no deployment was ever active."""
        found = await get_json(self.kv, names.ACTIVE_KEY)
        return (dict(found[0]), found[1]) if found else ({}, 0)

    async def _active_id(self) -> str:
        pointer, _ = await self.active()
        return str(pointer.get("deploymentId", ""))

    async def flip(self, pointer: dict[str, Any], expected: int) -> int:
        """Point every host at another version: the only irreversible step of a deploy. Raises
        Conflict when the pointer moved since ``expected`` was read."""
        data = codec.dumps_bytes(pointer)
        try:
            if expected == 0:
                return int(await self.kv.create(names.ACTIVE_KEY, data))
            return int(await self.kv.update(names.ACTIVE_KEY, data, last=expected))
        except KeyWrongLastSequenceError:
            raise Conflict("the active version changed while this deploy was switching") from None

    async def follow(self, on_pointer: Callable[[dict[str, Any]], None]) -> asyncio.Task[None]:
        """Call ``on_pointer`` with the pointer now and at every change (every host does this)."""
        watcher = await self.kv.watch(names.ACTIVE_KEY)

        async def run() -> None:
            try:
                async for entry in watcher:
                    if entry is None:
                        continue  # "nothing more pending" marker
                    if entry.operation in ("DEL", "PURGE") or not entry.value:
                        on_pointer({})
                    else:
                        on_pointer(codec.loads(entry.value.decode()))
            finally:
                await watcher.stop()

        return asyncio.create_task(run(), name="deploy:active-pointer")
