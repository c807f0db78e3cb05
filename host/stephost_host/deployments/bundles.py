"""Source archives and built bundles in a NATS JetStream Object Store, keyed by digest.

Every host (and, through its host, every agent) reads the same store, so a version built
once can be started anywhere, and rolled back to long after its workers stopped. Objects
are named by the sha256 of their bytes: an identical bundle is never uploaded twice, and a
read that does not hash to its name is refused rather than run.
"""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import NotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore

from stephost_host import names
from stephost_host.deployments.archive import digest

log = logging.getLogger("stephost.deploy")


class BundleError(Exception):
    """A bundle could not be stored or read (the message says which and why)."""


class Bundles:
    def __init__(self, store: ObjectStore, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes

    @classmethod
    async def open(cls, js: JetStreamContext, *, replicas: int, max_bytes: int) -> Bundles:
        try:
            store = await js.object_store(names.BUNDLE_STORE)
        except (NotFoundError, Exception):  # nats-py raises by version; create it then
            store = await js.create_object_store(
                names.BUNDLE_STORE,
                ObjectStoreConfig(bucket=names.BUNDLE_STORE, storage=StorageType.FILE, replicas=replicas),
            )
        return cls(store, max_bytes)

    def check_size(self, what: str, size: int) -> None:
        if size > self.max_bytes:
            raise BundleError(
                f"{what} is {size} bytes, over the {self.max_bytes}-byte bundle cap "
                "(setting deploy_max_bundle_bytes)"
            )

    async def has(self, name: str) -> bool:
        try:
            await self.store.get_info(name)
        except (ObjectNotFoundError, NotFoundError):
            return False
        return True

    async def put(self, name: str, data: bytes) -> bool:
        """Store ``data`` under ``name`` (which ends in its digest); False when it was there."""
        self.check_size(name, len(data))
        if not name.endswith(digest(data)):
            raise BundleError(f"{name}: the data does not hash to its name")
        if await self.has(name):
            return False
        await self.store.put(name, data)
        return True

    async def get(self, name: str) -> bytes:
        """The object's bytes, verified against the digest its name carries."""
        try:
            result = await self.store.get(name)
        except (ObjectNotFoundError, NotFoundError):
            raise BundleError(f"{name} is not in the bundle store {names.BUNDLE_STORE}") from None
        except Exception as exc:  # DigestMismatchError and kin: never run a damaged bundle
            raise BundleError(f"{name}: cannot read it from the bundle store: {exc!r}") from None
        data = bytes(result.data or b"")
        if not name.endswith(digest(data)):
            raise BundleError(f"{name}: the stored bytes do not match their digest; refusing it")
        return data

    async def delete(self, name: str) -> None:
        try:
            await self.store.delete(name)
        except (ObjectNotFoundError, NotFoundError):
            pass  # gone already
