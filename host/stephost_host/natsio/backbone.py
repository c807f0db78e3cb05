"""The host's NATS, as one component: an embedded nats-server unless a URL is given, the
client connection, and every stream and bucket stephost needs."""

from __future__ import annotations

import contextlib
from contextlib import AsyncExitStack
from pathlib import Path

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from stephost_host.natsio import jetstream
from stephost_host.natsio.credentials import ClientAccess, project_auth
from stephost_host.natsio.embedded import EmbeddedNats
from stephost_host.natsio.integrity import RECORD, StoreRecord, StoreWatch, server_key


class NatsBackbone:
    name = "nats"
    stop_timeout = 15.0  # the embedded server gets 10s for SIGTERM before SIGKILL

    # Set by start(); every other part of the host is built on them.
    nc: NATS
    js: JetStreamContext
    buckets: jetstream.Buckets

    def __init__(
        self,
        url: str,
        store_dir: Path,
        *,
        access: ClientAccess,
        sync_always: bool,
        event_max_age_days: float,
        replicas: int,
        recreate_missing_store: bool = False,
        embedded_by_manager: bool = False,
    ) -> None:
        """``embedded_by_manager``: ``url`` is the project's embedded server, run by the manager
        of this host's workers (workers/); its store is watched and recorded as this host's own."""
        self.url = url
        self.access = access
        # The project's own server (here or in the manager): its store is on this machine.
        self.embedded_store = embedded_by_manager or not url
        # What this host created in NATS, so a store lost between runs is noticed (integrity.py).
        self.record = StoreRecord(
            store_dir / RECORD,
            server_key("" if embedded_by_manager else url),
            recreate_missing=recreate_missing_store,
        )
        self.embedded = None if url else embedded_server(store_dir, sync_always=sync_always)
        self.event_max_age_days = event_max_age_days
        self.replicas = replicas
        # Why the store cannot keep writes right now (None: it can); readiness and writes ask.
        self.problem = StoreWatch(store_dir / "jetstream" if self.embedded_store else None)
        self._undo = AsyncExitStack()

    async def start(self) -> None:
        async with AsyncExitStack() as undo:  # unwinds a half-done start on failure
            if self.embedded:
                self.url = await self.embedded.start()  # carries the token, for runtime.json
                undo.push_async_callback(self.embedded.stop)
            nc = await jetstream.connect(self.url, access=self.access)
            undo.push_async_callback(_close, nc)
            self.js = nc.jetstream(timeout=10)
            self.buckets = await jetstream.ensure_all(
                self.js, self.record, event_max_age_days=self.event_max_age_days, replicas=self.replicas
            )
            self.nc = nc
            self._undo = undo.pop_all()

    async def stop(self) -> None:
        await self._undo.aclose()  # the connection, then the embedded server


def embedded_server(store_dir: Path, *, sync_always: bool) -> EmbeddedNats:
    """The project's own nats-server. Never anonymous: it requires a per-project token, kept
    in its store."""
    return EmbeddedNats(store_dir, sync_always=sync_always, auth=project_auth(store_dir / "credentials"))


async def _close(nc: NATS) -> None:
    with contextlib.suppress(Exception):
        await nc.close()
