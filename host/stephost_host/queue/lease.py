"""A lease in NATS KV: at most one host holds it; it lapses by itself when its holder dies.

The bucket's max age is the lease's lifetime; the holder renews well within it with a
compare-and-set on the revision it last wrote, so a host that stalled past the lifetime
cannot renew a lease another host has taken since.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

log = logging.getLogger("stephost.lease")
LEASE_SECONDS = 10.0  # the bucket's max age (see natsio/jetstream.py)


class Lease:
    def __init__(self, kv: KeyValue, key: str, holder: str | None = None) -> None:
        self.kv = kv
        self.key = key
        self.holder = holder or uuid.uuid4().hex
        self.held = asyncio.Event()
        self._revision = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name=f"lease:{self.key}")

    async def _keep(self) -> None:
        while True:
            try:
                if self.held.is_set():
                    self._revision = await self.kv.update(self.key, self.holder.encode(), last=self._revision)
                else:
                    self._revision = await self.kv.create(self.key, self.holder.encode())
                    self.held.set()
                    log.info("took the lease %s", self.key)
            except KeyWrongLastSequenceError:
                if self.held.is_set():
                    log.warning("lost the lease %s", self.key)
                self.held.clear()
            except Exception as exc:  # NATS unreachable: we can no longer prove we hold it
                if self.held.is_set():
                    log.warning("lease %s not renewed (%s); letting it go", self.key, exc)
                self.held.clear()
            await asyncio.sleep(LEASE_SECONDS / 4)

    async def release(self) -> None:
        if self._task:
            self._task.cancel()
        if self.held.is_set():
            self.held.clear()
            try:
                await self.kv.delete(self.key, last=self._revision)
            except Exception as exc:
                log.debug("lease %s not released (%s); it lapses by itself", self.key, exc)
