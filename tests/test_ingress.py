"""The public gRPC ingress against a real host: external processes emit through the Python,
Node and Ruby clients and the subscribed Python, Node and Ruby steps run; idempotency keys;
message groups on the queue; every bad input and its status; tokens; SubscribeStream."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from stephost import AsyncClient, Client, IngressError
from stephost_host import names
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import ROOT, STEPHOST, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "ingress"
NODE_CLIENT = ROOT / "examples" / "ingress" / "node" / "emit.js"
RUBY_CLIENT = ROOT / "examples" / "ingress" / "ruby" / "emit.rb"
TOKEN = "ingress-test-token"
LIMIT = 4096  # ingress_max_payload_bytes for this host
STEPS = 6
CLIENTS = ["python", "node", "ruby"]


def uid() -> str:
    return uuid.uuid4().hex[:10]


class Env:
    """One host for the module (sidecars for Python, Node and Ruby) and a NATS connection
    for looking at what reached the queue."""

    def __init__(self, tmp: Path) -> None:
        self.nats = NatsServer(tmp / "nats")
        self.host = HostProcess(
            PROJECT,
            tmp / "host",
            self.nats.url,
            env={"STEPHOST_INGRESS_TOKEN": TOKEN, "STEPHOST_INGRESS_MAX_PAYLOAD_BYTES": str(LIMIT)},
        ).wait_ready(STEPS)
        self.address = str(self.host.info["ingress"])
        self.nc = self.run(nats.connect(self.nats.url))
        self.js = self.nc.jetstream()
        self.client = Client(self.address, token=TOKEN)
        self.channel = grpc.insecure_channel(self.address)
        self.stub = pb_grpc.IngressStub(self.channel)

    def run(self, coro: Any) -> Any:
        return self.nats.loop.run_until_complete(coro)

    def stored(self) -> int:
        """Messages in the events stream now."""
        return int(self.run(self.js.stream_info(names.EVENTS_STREAM)).state.messages)

    def message(self, sequence: int) -> Any:
        return self.run(self.js.get_msg(names.EVENTS_STREAM, sequence))

    def close(self) -> None:
        self.client.close()
        self.channel.close()
        self.run(self.nc.close())
        self.host.stop()
        self.nats.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(tmp_path_factory.mktemp("ingress"))
    yield e
    e.close()


AUTH = (("authorization", f"Bearer {TOKEN}"),)


def external_emit(
    kind: str,
    env: Env,
    topic: str,
    data: Any,
    *,
    group: str | None = None,
    key: str | None = None,
    token: str | None = TOKEN,
) -> subprocess.CompletedProcess[str]:
    """Emit from another process through one language's client; stdout has one receipt per line."""
    if kind == "python":  # `stephost emit` (the SDK's Client), address and token from runtime.json
        cmd = [*STEPHOST, "emit", "--state-dir", str(env.host.state_dir), "--topic", topic]
        cmd += ["--message", json.dumps(data)]
        cmd += ["--group", group] if group else []
        cmd += ["--idempotency-key", key] if key else []
        cmd += ["--token", token] if token != TOKEN and token else []
    else:
        cmd = ["node", str(NODE_CLIENT)] if kind == "node" else ["ruby", str(RUBY_CLIENT)]
        cmd += ["--address", env.address, "--topic", topic, "--data", json.dumps(data)]
        cmd += ["--token", token] if token else []
        cmd += ["--group", group] if group else []
        cmd += ["--key", key] if key else []
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT)


def receipts(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


# -- events reach steps in every language ----------------------------------------


@pytest.mark.parametrize("kind", CLIENTS)
def test_an_external_client_emits_into_python_node_and_ruby_steps(env: Env, kind: str) -> None:
    item = uid()
    [receipt] = receipts(external_emit(kind, env, "ingress.hit", {"id": item, "via": kind}))
    assert receipt["stream"] == names.EVENTS_STREAM and receipt["sequence"] > 0
    assert receipt["duplicate"] is False

    def all_ran() -> dict[str, Any] | None:
        hits = {lang: env.client.get_state("ingress-hits", f"{item}:{lang}") for lang in CLIENTS}
        return hits if all(hits.values()) else None

    hits = eventually(all_ran, what=f"python, node and ruby steps to handle the {kind} emit")
    for lang, hit in hits.items():
        assert hit["lang"] == lang
        assert hit["traceId"] == receipt["traceId"]
        assert hit["data"] == {"id": item, "via": kind}


@pytest.mark.parametrize("kind", CLIENTS)
def test_message_group_id_reaches_the_queue(env: Env, kind: str) -> None:
    group = f"group-{uid()}"
    [receipt] = receipts(external_emit(kind, env, "ingress.grouped", {"n": 1}, group=group))
    msg = env.message(receipt["sequence"])
    assert msg.subject == names.topic_subject("ingress.grouped")
    assert msg.headers[names.HEADER_GROUP] == group
    assert msg.headers[names.HEADER_TRACE] == receipt["traceId"]
    assert json.loads(msg.data) == {"n": 1}


def test_batches_keep_order_group_and_trace(env: Env) -> None:
    events = [
        {"topic": "ingress.grouped", "data": {"n": i}, "messageGroupId": "g-batch", "traceId": f"t-{i}"}
        for i in range(1200)
    ]
    got = env.client.emit_batch(events, batch_size=250)
    assert [r.trace_id for r in got] == [f"t-{i}" for i in range(1200)]
    assert [r.sequence for r in got] == list(range(got[0].sequence, got[0].sequence + 1200))
    last = env.message(got[-1].sequence)
    assert last.headers[names.HEADER_GROUP] == "g-batch" and json.loads(last.data) == {"n": 1199}


@pytest.mark.parametrize("kind", ["node", "ruby"])
def test_example_clients_stream_batches(env: Env, kind: str) -> None:
    cmd = ["node", str(NODE_CLIENT)] if kind == "node" else ["ruby", str(RUBY_CLIENT)]
    item = uid()
    cmd += ["--address", env.address, "--token", TOKEN, "--topic", "ingress.hit", "--repeat", "3"]
    cmd += ["--data", json.dumps({"id": item})]
    got = receipts(subprocess.run(cmd, capture_output=True, text=True, timeout=60))
    assert len(got) == 3 and len({r["sequence"] for r in got}) == 3
    eventually(lambda: env.client.get_state("ingress-hits", f"{item}:ruby"), what="the batch handled")


# -- idempotency -----------------------------------------------------------------


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_retried_idempotency_key_returns_the_first_receipt_and_triggers_nothing(
    env: Env, kind: str
) -> None:
    item, key = uid(), f"key-{uid()}"
    [first] = receipts(external_emit(kind, env, "ingress.once", {"id": item}, key=key))
    assert first["duplicate"] is False
    eventually(lambda: env.client.get_state("ingress-once", item) == 1, what="the first delivery")
    before = env.stored()
    [again] = receipts(external_emit(kind, env, "ingress.once", {"id": item}, key=key))
    assert again == {**first, "duplicate": True}
    retry = env.client.emit("ingress.once", {"id": item}, idempotency_key=key, trace_id="another")
    assert (retry.trace_id, retry.sequence, retry.duplicate) == (first["traceId"], first["sequence"], True)
    assert env.stored() == before  # nothing new on the queue
    # A later event on the same topic is handled; the retried one never was.
    marker = uid()
    env.client.emit("ingress.once", {"id": marker})
    eventually(lambda: env.client.get_state("ingress-once", marker) == 1, what="the marker event")
    assert env.client.get_state("ingress-once", item) == 1


def test_idempotency_inside_and_across_batches(env: Env) -> None:
    key = f"key-{uid()}"
    before = env.stored()
    got = env.client.emit_batch(
        [{"topic": "ingress.grouped", "data": i, "idempotency_key": key if i % 2 else None} for i in range(4)]
    )
    assert [r.duplicate for r in got] == [False, False, False, True]
    assert got[3].sequence == got[1].sequence and got[3].trace_id == got[1].trace_id
    assert env.stored() == before + 3


def test_an_idempotency_key_reused_for_another_topic_is_refused(env: Env) -> None:
    key = f"key-{uid()}"
    env.client.emit("ingress.grouped", 1, idempotency_key=key)
    before = env.stored()
    with pytest.raises(IngressError) as err:
        env.client.emit("ingress.other", 1, idempotency_key=key)
    assert err.value.code == "ALREADY_EXISTS" and key in err.value.message
    assert env.stored() == before


# -- bad input --------------------------------------------------------------------

BIG = json.dumps("x" * LIMIT)
BAD_CALLS = [
    ("Emit", pb.EmitRequest(topic="", data_json="1"), "topic is empty"),
    ("Emit", pb.EmitRequest(topic="ingress.bad", data_json="{nope"), "data_json is not valid JSON"),
    ("Emit", pb.EmitRequest(topic="ingress.bad", data_json="[1, 2"), "data_json is not valid JSON"),
    ("Emit", pb.EmitRequest(topic="ingress.bad", data_json="NaN"), "NaN is not JSON"),
    ("Emit", pb.EmitRequest(topic="ingress.bad", data_json=BIG), f"limit of {LIMIT} bytes"),
    ("Emit", pb.EmitRequest(topic="x" * 300, data_json="1"), "topic is 300 characters"),
    (
        "Emit",
        pb.EmitRequest(topic="ingress.bad", data_json="1", message_group_id="a\nb"),
        "message_group_id must not contain control characters",
    ),
    (
        "Emit",
        pb.EmitRequest(topic="ingress.bad", data_json="1", idempotency_key="k" * 300),
        "idempotency_key is 300 characters",
    ),
    ("SetState", pb.SetStateRequest(group="ingress-bad", key="k", value_json="{nope"), "value_json is not"),
    ("SetState", pb.SetStateRequest(group="ingress-bad", key="k", value_json=BIG), f"limit of {LIMIT}"),
    ("SetState", pb.SetStateRequest(group="ingress-bad", key="", value_json="1"), "key is empty"),
    ("GetState", pb.GetStateRequest(group="", key="k"), "group is empty"),
    ("GetStreamItem", pb.GetStreamItemRequest(stream="ingress-live", group_id="g", id=""), "id is empty"),
]


@pytest.mark.parametrize(("method", "request_", "fragment"), BAD_CALLS, ids=lambda v: str(v)[:40])
def test_bad_input_is_invalid_argument_and_writes_nothing(
    env: Env, method: str, request_: Any, fragment: str
) -> None:
    env.client.set_state("ingress-bad", "k", "before")
    before = env.stored()
    with pytest.raises(grpc.RpcError) as err:
        getattr(env.stub, method)(request_, metadata=AUTH, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in err.value.details()
    assert env.stored() == before
    assert env.client.get_state("ingress-bad", "k") == "before"


def test_emit_stream_answers_each_event_on_its_own(env: Env) -> None:
    """EmitStream (what the Python client's emit() rides on): every event gets its own
    receipt by id (a topic no step hears, so nothing else writes); a bad one gets Emit's status and stores nothing, the call goes on."""
    before = env.stored()
    good = [
        pb.StreamedEmit(id=i, event=pb.EmitRequest(topic="ingress.unheard", data_json=str(i)))
        for i in range(1, 6)
    ]
    bad = pb.StreamedEmit(id=99, event=pb.EmitRequest(topic="", data_json="1"))
    requests = [pb.EmitStreamRequest(emits=[*good[:2], bad]), pb.EmitStreamRequest(emits=good[2:])]
    answered = {
        r.id: r
        for response in env.stub.EmitStream(iter(requests), metadata=AUTH, timeout=30)
        for r in response.receipts
    }
    assert sorted(answered) == [1, 2, 3, 4, 5, 99]
    assert answered[99].error_code == "INVALID_ARGUMENT" and "topic" in answered[99].error_message
    assert not answered[99].HasField("receipt")
    stored = [answered[i].receipt for i in range(1, 6)]
    assert all(not answered[i].error_code for i in range(1, 6))
    assert len({r.sequence for r in stored}) == 5 and all(r.stream for r in stored)
    assert env.stored() == before + 5


def test_concurrent_client_emits_share_one_stream_and_fail_alone(env: Env) -> None:
    """The SDK's emit(): 300 at once each get their own receipt; a refused one raises
    Emit's error while its neighbours are stored."""
    from stephost import AsyncClient, IngressError

    async def burst() -> tuple[list[Any], list[Any]]:
        async with AsyncClient(env.address, token=TOKEN) as client:
            results = await asyncio.gather(
                *(client.emit("ingress.unheard", {"n": i}) for i in range(300)),
                client.emit("", {"n": -1}),
                return_exceptions=True,
            )
        return list(results[:300]), list(results[300:])

    before = env.stored()
    ok, refused = asyncio.run(burst())
    assert not [r for r in ok if isinstance(r, BaseException)], ok
    assert len({r.sequence for r in ok}) == 300
    assert isinstance(refused[0], IngressError) and refused[0].code == "INVALID_ARGUMENT"
    assert env.stored() == before + 300


def test_a_batch_with_one_bad_event_stores_none_of_it(env: Env) -> None:
    before = env.stored()
    good = pb.EmitRequest(topic="ingress.grouped", data_json="1")
    bad = pb.EmitRequest(topic="ingress.grouped", data_json="{nope")
    call = env.stub.EmitBatch(iter([pb.EmitBatchRequest(events=[good, good, bad])]), metadata=AUTH)
    with pytest.raises(grpc.RpcError) as err:
        list(call)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "events[2].data_json is not valid JSON" in err.value.details()
    with pytest.raises(grpc.RpcError) as empty:
        list(env.stub.EmitBatch(iter([pb.EmitBatchRequest()]), metadata=AUTH))
    assert "events is empty" in empty.value.details()
    assert env.stored() == before


def test_earlier_batches_are_answered_before_a_bad_one_ends_the_call(env: Env) -> None:
    good = pb.EmitBatchRequest(events=[pb.EmitRequest(topic="ingress.grouped", data_json="1")] * 2)
    bad = pb.EmitBatchRequest(events=[pb.EmitRequest(topic="", data_json="1")])
    before = env.stored()
    answers: list[Any] = []
    with pytest.raises(grpc.RpcError) as err:
        for resp in env.stub.EmitBatch(iter([good, good, bad]), metadata=AUTH):
            answers.append(resp)
    assert "events[0].topic is empty" in err.value.details()
    assert [len(a.receipts) for a in answers] == [2, 2]
    assert env.stored() == before + 4


def test_topics_with_fifo_subscribers_need_a_message_group(env: Env) -> None:
    before = env.stored()
    with pytest.raises(IngressError) as err:
        env.client.emit("ingress.fifo", {"id": uid(), "group": None})
    assert err.value.code == "INVALID_ARGUMENT"
    assert "message_group_id is empty" in err.value.message and "ingress-fifo" in err.value.message
    with pytest.raises(IngressError) as batch:
        env.client.emit_batch(
            [{"topic": "ingress.fifo", "data": 1, "messageGroupId": "g"}, {"topic": "ingress.fifo"}]
        )
    assert "events[1].message_group_id is empty" in batch.value.message
    assert env.stored() == before
    item = uid()
    env.client.emit("ingress.fifo", {"id": item, "group": "g1"}, message_group_id="g1")
    assert eventually(lambda: env.client.get_state("ingress-fifo", item)) == {"group": "g1"}


def test_unknown_streams_are_not_found(env: Env) -> None:
    with pytest.raises(IngressError) as err:
        env.client.get_stream_group("nope", "g")
    assert err.value.code == "NOT_FOUND" and "ingress-live" in err.value.message
    with pytest.raises(IngressError) as sub:
        env.client.subscribe_stream("nope", "g")
    assert sub.value.code == "NOT_FOUND"


# -- tokens ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "fragment"),
    [
        ((), "requires a token"),
        ((("authorization", "Bearer wrong"),), "wrong token"),
        ((("authorization", TOKEN),), "must be 'Bearer <token>'"),
    ],
    ids=["missing", "wrong", "not-bearer"],
)
def test_every_call_needs_the_token(env: Env, metadata: Any, fragment: str) -> None:
    before = env.stored()
    calls = [
        lambda: env.stub.Emit(pb.EmitRequest(topic="ingress.hit", data_json="1"), metadata=metadata),
        lambda: list(env.stub.EmitBatch(iter([pb.EmitBatchRequest()]), metadata=metadata)),
        lambda: list(env.stub.EmitStream(iter([pb.EmitStreamRequest()]), metadata=metadata)),
        lambda: env.stub.SetState(pb.SetStateRequest(group="g", key="k", value_json="1"), metadata=metadata),
        lambda: env.stub.GetGroup(pb.GetGroupRequest(group="g"), metadata=metadata),
        lambda: env.stub.ListSteps(pb.ListStepsRequest(), metadata=metadata),
        lambda: next(
            env.stub.SubscribeStream(
                pb.SubscribeStreamRequest(stream="ingress-live", group_id="g"), metadata=metadata
            )
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert fragment in err.value.details()
    assert env.stored() == before


@pytest.mark.parametrize("kind", CLIENTS)
def test_clients_report_a_wrong_token(env: Env, kind: str) -> None:
    done = external_emit(kind, env, "ingress.hit", {"id": uid()}, token="wrong")
    assert done.returncode == 1
    assert "UNAUTHENTICATED" in done.stderr and "wrong token" in done.stderr


def test_health_and_reflection_need_no_token(env: Env) -> None:
    health = health_pb2_grpc.HealthStub(env.channel)
    for service in ("", "stephost.v1.Ingress"):
        status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    reflect = reflection_pb2_grpc.ServerReflectionStub(env.channel)
    [answer] = list(
        reflect.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    )
    listed = {s.name for s in answer.list_services_response.service}
    assert {"stephost.v1.Ingress", "stephost.v1.SidecarHost", "grpc.health.v1.Health"} <= listed
    [described] = list(
        reflect.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol="stephost.v1.Ingress")])
        )
    )
    assert described.file_descriptor_response.file_descriptor_proto


# -- state, steps, streams -----------------------------------------------------------


def test_state_calls_share_the_steps_store(env: Env) -> None:
    group = f"ingress-state-{uid()}"
    c = env.client
    assert c.get_state(group, "a") is None
    assert c.set_state(group, "a", {"n": 1}) == {"n": 1}
    c.set_state(group, "b", [1, "two"])
    assert c.get_state(group, "a") == {"n": 1}
    assert sorted(map(json.dumps, c.get_group(group))) == sorted(map(json.dumps, [{"n": 1}, [1, "two"]]))
    assert c.delete_state(group, "a") == {"n": 1}
    assert c.delete_state(group, "a") is None
    assert c.get_group(group) == [[1, "two"]]
    raw = env.stub.GetState(pb.GetStateRequest(group=group, key="a"), metadata=AUTH)
    assert (raw.found, raw.value_json) == (False, "null")


def test_list_steps_says_what_is_registered(env: Env) -> None:
    steps = {s.name: s for s in env.client.list_steps()}
    assert {steps[n].language for n in ("ingress-py", "ingress-js", "ingress-rb")} == set(CLIENTS)
    py = steps["ingress-py"]
    assert (py.type, py.file, py.live, py.subscribes, py.flows) == (
        "event",
        "steps/hit_step.py",
        True,
        ["ingress.hit"],
        ["ingress"],
    )


def test_subscribe_stream_sees_what_a_handler_changes(env: Env) -> None:
    group, item = uid(), uid()
    with env.client.subscribe_stream("ingress-live", group) as changes:
        receipt = env.client.emit("ingress.live", {"group": group, "id": item})
        seen = []
        for change in changes:
            seen.append(change)
            if change.type == "delete":
                break
    assert [c.type for c in seen] == ["create", "update", "event", "delete"]
    assert {c.id for c in seen} == {item}
    assert seen[0].data == {"n": 1, "id": item} and seen[1].data == {"n": 2, "id": item}
    assert (seen[2].event_type, seen[2].data) == ("ping", {"traceId": receipt.trace_id})
    assert seen[3].data == {"n": 2, "id": item}


def test_async_client_follows_one_item(env: Env) -> None:
    group = uid()

    async def follow() -> list[Any]:
        async with AsyncClient(env.address, token=TOKEN) as client:
            sub = await client.subscribe_stream("ingress-live", group, "wanted")
            await client.emit("ingress.live", {"group": group, "id": "other"})
            await client.emit("ingress.live", {"group": group, "id": "wanted"})
            seen = []
            async with sub:
                async for change in sub:
                    seen.append(change)
                    if change.type == "delete":
                        break
            assert await client.get_stream_group("ingress-live", group) == []
            return seen

    seen = asyncio.run(asyncio.wait_for(follow(), 30))
    assert [c.type for c in seen] == ["create", "update", "event", "delete"]
    assert {c.id for c in seen} == {"wanted"}


def test_cancel_ends_an_iteration_waiting_elsewhere(env: Env) -> None:
    """A subscription cancelled from another thread (blocking) or task (asyncio) ends its
    iteration quietly; a closed blocking client refuses further calls."""
    with Client(env.address, token=TOKEN) as client:
        sub = client.subscribe_stream("ingress-live", uid())
        seen: list[Any] = []
        reader = threading.Thread(target=lambda: seen.extend([*sub, "end"]))
        reader.start()
        sub.cancel()
        reader.join(10)
        assert seen == ["end"]
    with pytest.raises(RuntimeError):
        client.emit("ingress.live", 1)

    async def follow() -> list[Any]:
        async with AsyncClient(env.address, token=TOKEN) as aclient:
            asub = await aclient.subscribe_stream("ingress-live", uid())
            reading = asyncio.create_task(asyncio.wait_for(_collect(asub), 10))
            await asyncio.sleep(0)
            asub.cancel()
            return await reading

    assert asyncio.run(follow()) == []


async def _collect(sub: Any) -> list[Any]:
    return [change async for change in sub]


def test_stream_reads(env: Env) -> None:
    group, item = uid(), uid()
    env.client.emit("ingress.live", {"group": group, "id": item, "keep": True})
    # The handler writes the item twice (n=1, then n=2): wait for its final state.
    stored = eventually(
        lambda: (got := env.client.get_stream_item("ingress-live", group, item)) and got["n"] == 2 and got,
        what="the item's final state",
    )
    assert stored == {"n": 2, "id": item}
    assert env.client.get_stream_group("ingress-live", group) == [stored]
    assert env.client.get_stream_item("ingress-live", group, "missing") is None
    raw = env.stub.GetStreamItem(
        pb.GetStreamItemRequest(stream="ingress-live", group_id="g", id="x"), metadata=AUTH
    )
    assert (raw.found, raw.item_json) == (False, "null")
    assert env.client.get_stream_group("ingress-live", uid()) == []
