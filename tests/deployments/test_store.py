"""The deployment store on a real nats-server: numbers, records with compare-and-set, the
lock, the active pointer every host follows, logs, and bundles keyed and checked by digest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stephost_host.config import ConfigError, load_settings
from stephost_host.deployments.archive import ArchiveError, digest, names, pack
from stephost_host.deployments.bundles import BundleError, Bundles
from stephost_host.deployments.models import Deployment, Status
from stephost_host.deployments.pipeline import Limits
from stephost_host.deployments.records import Conflict, Records
from stephost_host.natsio import jetstream
from tests.harness import NatsServer


@pytest.fixture
async def store(nats_server: NatsServer) -> AsyncIterator[tuple[Records, Bundles]]:
    nc = await jetstream.connect(nats_server.url)
    js = nc.jetstream(timeout=10)
    records = await Records.open(nc, js, replicas=1)
    bundles = await Bundles.open(js, replicas=1, max_bytes=64 * 1024)
    yield records, bundles
    await nc.close()


async def test_numbers_are_sequential_under_concurrency(store: tuple[Records, Bundles]) -> None:
    records, _ = store
    numbers = await asyncio.gather(*(records.next_number() for _ in range(8)))
    assert sorted(numbers) == list(range(1, 9))


async def test_record_cas_merges_a_concurrent_cancel(store: tuple[Records, Bundles]) -> None:
    records, _ = store
    rec = Deployment(id="d1", number=1, project="p")
    await records.create(rec)
    other = Records(records.nc, records.js, records.kv, records.env_kv)  # another host
    await other.change("d1", lambda r: setattr(r, "cancel_requested", True))
    rec.status = Status.BUILDING
    with pytest.raises(Conflict):
        await records.save(rec)
    rec2 = await records.get("d1")
    assert rec2 is not None and rec2.cancel_requested
    rec.cancel_requested = False
    await records.save(
        rec, merge=lambda stored, mine: setattr(mine, "cancel_requested", stored.cancel_requested)
    )
    got = await records.get("d1")
    assert got is not None and got.status is Status.BUILDING and got.cancel_requested
    assert [r.id for r in await records.all()] == ["d1"]


async def test_lock_is_one_at_a_time(store: tuple[Records, Bundles]) -> None:
    records, _ = store
    assert await records.acquire("a", "host1")
    assert not await records.acquire("b", "host2")
    assert await records.acquire("a", "host1")  # renew
    assert await records.holder() == "a"
    await records.release("a")
    assert await records.acquire("b", "host2")


async def test_a_lock_nobody_renews_expires_after_the_lease(store: tuple[Records, Bundles]) -> None:
    records, _ = store
    short = Records(records.nc, records.js, records.kv, records.env_kv, lease_seconds=1.0)
    assert await short.acquire("a", "host1")  # host1 then dies: it never renews
    assert not await records.acquire("b", "host2")
    assert await records.holder() == "a"
    deadline = asyncio.get_running_loop().time() + 30
    while await records.holder():  # poll: "a" is held for about the lease's second
        assert asyncio.get_running_loop().time() < deadline, "the lock never expired"
        await asyncio.sleep(0.1)
    assert await records.acquire("b", "host2")
    assert await records.holder() == "b"


def test_the_fleet_timings_follow_the_lease(tmp_path: Path) -> None:
    default, short = Limits(), Limits(lease_seconds=6.0)
    assert (default.recover_every, default.host_ttl, default.heartbeat) == (5.0, 10.0, 3.0)
    assert (short.recover_every, short.host_ttl, short.heartbeat) == (1.0, 2.0, 0.6)
    assert load_settings(tmp_path, environ={"STEPHOST_DEPLOY_LEASE_SECONDS": "8"}).deploy_lease_seconds == 8.0
    with pytest.raises(ConfigError, match="deploy_lease_seconds"):
        load_settings(tmp_path, environ={"STEPHOST_DEPLOY_LEASE_SECONDS": "1"})


async def test_pointer_flips_only_by_cas_and_is_followed(store: tuple[Records, Bundles]) -> None:
    records, _ = store
    seen: list[dict[str, str]] = []
    task = await records.follow(seen.append)
    try:
        assert await records.active() == ({}, 0)
        rev = await records.flip({"deploymentId": "d1", "version": "v1"}, 0)
        with pytest.raises(Conflict):
            await records.flip({"deploymentId": "d2", "version": "v2"}, 0)
        await records.flip({"deploymentId": "d2", "version": "v2"}, rev)
        for _ in range(200):
            if [p.get("version") for p in seen] == ["v1", "v2"]:
                break
            await asyncio.sleep(0.05)
        assert [p.get("version") for p in seen] == ["v1", "v2"]
    finally:
        task.cancel()


async def test_logs_and_env(store: tuple[Records, Bundles]) -> None:
    records, _ = store
    for i in range(5):
        await records.log("d1", f"line {i}")
    await records.log("d2", "other")
    assert await records.logs("d1") == [f"line {i}" for i in range(5)]
    assert await records.logs("nothing") == []
    await records.put_env("d1", {"API_KEY": "s3cret"})
    assert await records.get_env("d1") == {"API_KEY": "s3cret"}


async def test_bundles_dedupe_verify_and_cap(store: tuple[Records, Bundles], tmp_path: Path) -> None:
    _, bundles = store
    tmp_path = tmp_path / "project"
    (tmp_path / "steps").mkdir(parents=True)
    (tmp_path / "steps" / "a_step.py").write_text("config = {}\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text("junk")
    data = pack(tmp_path, 64 * 1024)
    assert pack(tmp_path, 64 * 1024) == data  # deterministic
    assert names(data) == {"steps/a_step.py": 12}
    name = f"bundles/python/{digest(data)}"
    assert await bundles.put(name, data) is True
    assert await bundles.put(name, data) is False  # same content: nothing uploaded
    assert await bundles.get(name) == data
    with pytest.raises(BundleError, match="does not hash"):
        await bundles.put("bundles/python/" + "0" * 64, data)
    with pytest.raises(BundleError, match="not in the bundle store"):
        await bundles.get("bundles/python/" + "1" * 64)
    with pytest.raises(BundleError, match="bundle cap"):
        big = bytes(70 * 1024)
        await bundles.put(f"bundles/python/{digest(big)}", big)
    with pytest.raises(ArchiveError, match="cap"):
        (tmp_path / "steps" / "big.bin").write_bytes(__import__("os").urandom(70 * 1024))
        pack(tmp_path, 64 * 1024)
