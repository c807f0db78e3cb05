"""A store that existed is never silently replaced by an empty one.

Between runs: the events stream's files deleted, or its metadata corrupted (nats-server
then skips the stream and carries on) -> the host refuses to start, naming the stream and
the flag; with ``--recreate-missing-store`` it starts, with the stream empty. While running:
the state directory deleted -> readiness answers 503 naming the cause, and writes fail at
once with a clear error instead of being acknowledged into files that no longer exist.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import grpc
import httpx
import pytest

from stephost_host import names
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import HostProcess, eventually

FLAG = "--recreate-missing-store"


def start(project: Path, state: Path, *args: str) -> HostProcess:
    """A host on an embedded nats-server kept in ``state``, with no steps and no sidecars."""
    return HostProcess(project, state, None, args=["--no-sidecars", *args])


def emit(host: HostProcess, count: int) -> None:
    with grpc.insecure_channel(str(host.info["ingress"])) as channel:
        stub = pb_grpc.IngressStub(channel)
        for i in range(count):
            stub.Emit(pb.EmitRequest(topic="orders.created", data_json=json.dumps({"n": i})), timeout=10)


def events_stored(host: HostProcess) -> int:
    """Messages in the events stream, asked of the host's own nats-server."""
    import asyncio

    import nats

    async def count() -> int:
        nc = await nats.connect(str(host.info["nats"]))
        try:
            return int((await nc.jetstream().stream_info(names.EVENTS_STREAM)).state.messages)
        finally:
            await nc.close()

    return asyncio.run(count())


def events_store(state: Path) -> Path:
    found = list((state / "nats" / "jetstream").glob(f"**/streams/{names.EVENTS_STREAM}"))
    assert len(found) == 1, found
    return found[0]


def refused_start(project: Path, state: Path) -> str:
    """Start a host expected to refuse; its log."""
    host = start(project, state)
    try:
        host.proc.wait(60)
    finally:
        host.stop()
    assert host.proc.returncode == 2, host.log()
    assert not (state / "runtime.json").exists()
    return host.log()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "project" / "steps").mkdir(parents=True)
    return tmp_path / "project"


def first_run(project: Path, state: Path, events: int) -> None:
    host = start(project, state).wait_ready(0)
    try:
        emit(host, events)
        assert events_stored(host) == events
    finally:
        assert host.stop() == 0


@pytest.mark.parametrize("damage", ["deleted", "corrupted"])
def test_a_lost_events_stream_stops_the_start_until_the_flag_accepts_the_loss(
    project: Path, tmp_path: Path, damage: str
) -> None:
    state = tmp_path / "state"
    first_run(project, state, 20)
    store = events_store(state)
    if damage == "deleted":
        shutil.rmtree(store)
    else:  # flip bytes in the stream's metadata: nats-server cannot read it and skips the stream
        meta = store / "meta.inf"
        data = bytearray(meta.read_bytes())
        for i in range(0, len(data), 7):
            data[i] ^= 0x5A
        meta.write_bytes(bytes(data))

    log = refused_start(project, state)
    assert names.EVENTS_STREAM in log and FLAG in log, log
    assert "created stream" not in log
    log = refused_start(project, state)  # refusing changed nothing: it refuses again
    assert names.EVENTS_STREAM in log

    host = start(project, state, FLAG).wait_ready(0)
    try:
        # Created again because the flag said so. Over deleted files it is empty; over a
        # corrupted meta.inf nats-server finds the old message files and keeps them.
        kept = events_stored(host)
        assert kept == (0 if damage == "deleted" else 20)
        assert host.log_lines(names.EVENTS_STREAM, FLAG)  # the log says what happened
        emit(host, 3)
    finally:
        assert host.stop() == 0
    if damage == "corrupted":
        return  # nats-server leaves the unreadable meta.inf as it was: the next start refuses again
    # From now on the new stream is the one the host knows: a plain start works again.
    host = start(project, state).wait_ready(0)
    try:
        assert events_stored(host) == kept + 3
    finally:
        host.stop()


def test_a_state_dir_deleted_while_running_fails_readiness_and_writes_at_once(
    project: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    host = start(project, state).wait_ready(0)
    try:
        emit(host, 2)
        assert httpx.get(f"{host.url}/__stephost/health", timeout=5).status_code == 200
        shutil.rmtree(state)

        def unready() -> dict[str, str]:
            r = httpx.get(f"{host.url}/__stephost/health", timeout=5)
            assert r.status_code == 503, r.text
            return dict(r.json())

        body = eventually(unready, timeout=10, what="health 503")
        assert body["status"] == "unavailable" and "no longer exists" in body["error"]
        assert str(state / "nats" / "jetstream") in body["error"]

        with grpc.insecure_channel(str(host.info["ingress"])) as channel:
            stub = pb_grpc.IngressStub(channel)
            writes = [
                lambda: stub.Emit(pb.EmitRequest(topic="orders.created", data_json="{}"), timeout=5),
                lambda: stub.SetState(pb.SetStateRequest(group="g", key="k", value_json="1"), timeout=5),
                lambda: stub.EmitBatch(
                    iter([pb.EmitBatchRequest(events=[pb.EmitRequest(topic="t", data_json="1")])]),
                    timeout=5,
                ).next(),
            ]
            for write in writes:
                began = time.monotonic()
                with pytest.raises(grpc.RpcError) as err:
                    write()
                # Refused up front (not a 5 s deadline), and the message names the cause.
                assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value.details()
                assert "store cannot take writes" in (err.value.details() or "")
                assert "nothing was stored" in (err.value.details() or "")
                print(f"refused in {time.monotonic() - began:.3f}s")
    finally:
        host.stop()
