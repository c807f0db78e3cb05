"""EmitBatch under failure: the answer says exactly what was stored, a resent batch stores
only the rest, and a batch over the cap is refused whole.

NATS is made to fail part way through a 12,000-event batch by a limit on the events
stream (at most N messages, new ones refused), so the point of failure is known and
the stream can be counted afterwards.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest
from nats.js.api import DiscardPolicy

from stephost_host import names
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import HostProcess, NatsServer

BATCH = 12_000  # events in the big batch (and this host's cap)
ROOM = 7_777  # events the stream takes before it refuses more


class Env:
    def __init__(self, nats_server: NatsServer, host: HostProcess) -> None:
        self.nats = nats_server
        self.host = host
        self.nc = self.run(_connect(nats_server.url))
        self.js = self.nc.jetstream()
        self.channel = grpc.insecure_channel(str(host.info["ingress"]))
        self.stub = pb_grpc.IngressStub(self.channel)

    def run(self, coro: Any) -> Any:
        return self.nats.loop.run_until_complete(coro)

    def stored(self) -> int:
        return int(self.run(self.js.stream_info(names.EVENTS_STREAM)).state.messages)

    def limit_stream(self, max_msgs: int) -> None:
        """At most ``max_msgs`` events in the stream; a publish beyond that is refused."""
        config = self.run(self.js.stream_info(names.EVENTS_STREAM)).config
        config.max_msgs = max_msgs
        config.discard = DiscardPolicy.NEW
        self.run(self.js.update_stream(config))

    def send(self, events: list[pb.EmitRequest], batch_id: str = "") -> list[pb.EmitReceipt]:
        request = pb.EmitBatchRequest(events=events, batch_id=batch_id)
        return [r for resp in self.stub.EmitBatch(iter([request]), timeout=60) for r in resp.receipts]

    def close(self) -> None:
        self.channel.close()
        self.run(self.nc.close())


async def _connect(url: str) -> Any:
    import nats

    return await nats.connect(url)


@pytest.fixture
def env(tmp_path: Path, nats_server: NatsServer, start_host: Any) -> Any:
    project = tmp_path / "project"
    (project / "steps").mkdir(parents=True)
    host = start_host(
        project,
        live_steps=0,
        args=["--no-sidecars"],
        env={"STEPHOST_INGRESS_MAX_BATCH_EVENTS": str(BATCH)},
    )
    e = Env(nats_server, host)
    yield e
    e.close()


def events(n: int, tag: str) -> list[pb.EmitRequest]:
    return [pb.EmitRequest(topic="bulk.loaded", data_json=json.dumps({"tag": tag, "i": i})) for i in range(n)]


def trailers(err: grpc.RpcError) -> dict[str, str]:
    return {k: v for k, v in (err.trailing_metadata() or ())}  # type: ignore[attr-defined]


def test_a_batch_cut_short_says_exactly_what_was_stored_and_a_resend_stores_only_the_rest(env: Env) -> None:
    before = env.stored()
    env.limit_stream(before + ROOM)
    batch = events(BATCH, uuid.uuid4().hex)

    with pytest.raises(grpc.RpcError) as err:
        env.send(batch)  # no batch_id: the host names the batch in its answer
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    told = trailers(err.value)
    message = err.value.details() or ""
    # What it says is what the stream holds.
    assert env.stored() - before == ROOM
    assert told["stephost-stored"] == str(ROOM) and told["stephost-first-unstored"] == str(ROOM)
    assert f"{ROOM} of the batch's {BATCH} events were stored" in message
    assert f"events[{ROOM}] is the first that was not" in message
    assert told["stephost-batch-id"] and told["stephost-batch-id"] in message
    assert "maximum messages" in message  # and why NATS refused

    env.limit_stream(-1)
    receipts = env.send(batch, batch_id=told["stephost-batch-id"])
    assert len(receipts) == BATCH
    assert [r.duplicate for r in receipts] == [True] * ROOM + [False] * (BATCH - ROOM)
    assert env.stored() - before == BATCH  # every event once: nothing stored twice
    # The earlier part's receipts point at the events first stored, in batch order.
    sequences = [r.sequence for r in receipts]
    assert sequences == sorted(sequences) and len(set(sequences)) == BATCH
    for i in (0, ROOM - 1, ROOM, BATCH - 1):
        stored = env.run(env.js.get_msg(names.EVENTS_STREAM, receipts[i].sequence))
        assert json.loads(stored.data)["i"] == i


def test_the_same_batch_id_sent_twice_stores_the_batch_once(env: Env) -> None:
    before = env.stored()
    batch, batch_id = events(50, "twice"), uuid.uuid4().hex
    first = env.send(batch, batch_id)
    again = env.send(batch, batch_id)
    assert not any(r.duplicate for r in first) and all(r.duplicate for r in again)
    assert [r.sequence for r in again] == [r.sequence for r in first]
    assert env.stored() - before == 50


def test_a_batch_over_the_cap_is_refused_whole_naming_the_cap(env: Env) -> None:
    before = env.stored()
    with pytest.raises(grpc.RpcError) as err:
        env.send(events(BATCH + 1, "too-many"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = err.value.details() or ""
    assert (
        f"events has {BATCH + 1} events; a batch holds at most {BATCH} (ingress_max_batch_events)" in details
    )
    assert env.stored() == before


def test_a_batch_id_too_long_for_a_message_id_is_refused(env: Env) -> None:
    with pytest.raises(grpc.RpcError) as err:
        env.send(events(1, "long"), batch_id="b" * 201)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "batch_id is 201 characters; at most 200 are allowed" in (err.value.details() or "")
