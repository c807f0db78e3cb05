"""The registry and the invoker across versions and under load (a sidecar at capacity), with
real sessions built from real hellos.

Pure code: no sidecar process runs; an invocation is answered by feeding the session the
result message a sidecar would send.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stephost_host.errors import StepUnavailable
from stephost_host.link.session import Session
from stephost_host.router.invoker import Invoker
from stephost_host.router.registry import Registry
from stephost_host.router.routes import RouteTable
from stephost_host.steps.models import ApiStep, EventStep
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from tests.harness import until


def api(name: str, path: str = "/hello") -> str:
    return json.dumps({"type": "api", "name": name, "path": path, "method": "GET"})


def event(name: str, topic: str) -> str:
    return json.dumps({"type": "event", "name": name, "subscribes": [topic]})


async def _no_calls(*_: Any) -> Any:
    raise AssertionError("no handler call expected")


def session(
    sidecar_id: str,
    steps: dict[str, tuple[str, str]],
    *,
    version: str = "",
    language: str = "python",
    streams: dict[str, str] | None = None,
    hooks: tuple[str, ...] = (),
    capacity: int = 4,
) -> Session:
    """A session from the hello a sidecar would send: steps are name -> (file, config_json)."""
    hello = pb.Hello(
        protocol_version=codec.PROTOCOL_VERSION,
        language=language,
        sidecar_id=sidecar_id,
        capacity=capacity,
        version=version,
        steps=[pb.StepManifest(name=n, file=f, config_json=c) for n, (f, c) in steps.items()],
        streams=[
            pb.StreamManifest(name=n, file=f, config_json=json.dumps({"name": n}))
            for n, f in (streams or {}).items()
        ],
        hooks=list(hooks),
    )
    return Session(hello, "test", _no_calls)


def join(registry: Registry, sidecar_id: str, steps: dict[str, tuple[str, str]], **kw: Any) -> Session:
    s = session(sidecar_id, steps, **kw)
    streams = [(n, f, json.dumps({"name": n})) for n, f in (kw.get("streams") or {}).items()]
    assert registry.register(s, [(n, f, c) for n, (f, c) in steps.items()], streams) == []
    return s


async def answer(s: Session, result: Any) -> str:
    """Play the sidecar: take the invocation the host queued for it and send back a result."""
    msg = await asyncio.wait_for(s.out.get(), 5)
    assert msg is not None
    inv = msg.invocation

    async def batches() -> AsyncIterator[pb.SidecarBatch]:
        yield pb.SidecarBatch(
            messages=[
                pb.SidecarMessage(
                    result=pb.InvocationResult(
                        invocation_id=inv.invocation_id, result_json=codec.dumps(result)
                    )
                )
            ]
        )

    await s.read(batches())
    return inv.step


def result_of(inv: pb.Invocation) -> pb.SidecarBatch:
    """What the sidecar sends when ``inv``'s handler returns: its payload back as the body."""
    result = {"status": 200, "body": json.loads(inv.payload_json)}
    return pb.SidecarBatch(
        messages=[
            pb.SidecarMessage(
                result=pb.InvocationResult(invocation_id=inv.invocation_id, result_json=codec.dumps(result))
            )
        ]
    )


async def feed(s: Session, batch: pb.SidecarBatch) -> None:
    """Hand the session one batch from its sidecar; it is taken before this returns, with no
    other task running in between (the stream yields it without waiting)."""

    async def one() -> AsyncIterator[pb.SidecarBatch]:
        yield batch

    await s.read(one())


async def sent(s: Session) -> pb.Invocation:
    msg = await asyncio.wait_for(s.out.get(), 5)
    assert msg is not None and msg.HasField("invocation")
    return msg.invocation


async def in_line(s: Session, count: int) -> None:
    """Until ``count`` calls wait for a slot on ``s``."""
    await until(lambda: sum(not w.done() for w in s.waiters) == count, 5, f"{count} calls queued for a slot")


HELLO_V1 = {"hello": ("steps/hello_step.py", api("hello"))}
HELLO_V2 = {"hello": ("steps/greet/hello_step.py", api("hello", "/hi"))}


def test_fs_is_the_default_version() -> None:
    registry = Registry()
    s = join(registry, "a", HELLO_V1)
    assert s.version == "fs" and registry.active == "fs"
    assert registry.steps["hello"].version == "fs"
    assert registry.describe()[0]["live"] is True


def test_two_versions_of_one_step_register_side_by_side_and_only_the_active_one_is_listed() -> None:
    registry = Registry()
    join(registry, "old", HELLO_V1)
    join(registry, "new", HELLO_V2, version="v2")
    assert registry.versions() == ["fs", "v2"]
    assert registry.steps["hello"].file == "steps/hello_step.py"
    assert [d["sidecars"] for d in registry.describe()] == [["old"]]
    assert [d["sidecars"] for d in registry.describe("v2")] == [["new"]]
    assert [e.config.path for e in registry.of_type(ApiStep)] == ["/hello"]  # type: ignore[attr-defined]
    assert RouteTable.build(registry).match("GET", "/hi") is None


def test_activate_flips_what_is_listed_and_routed_and_tells_listeners() -> None:
    registry = Registry()
    join(registry, "old", HELLO_V1)
    join(registry, "new", HELLO_V2, version="v2")
    changes: list[str] = []
    registry.on_change(lambda: changes.append(registry.active))

    assert registry.activate("v2") is True
    assert changes == ["v2"]
    assert registry.steps["hello"].file == "steps/greet/hello_step.py"
    routes = RouteTable.build(registry)
    assert routes.match("GET", "/hi") is not None and routes.match("GET", "/hello") is None

    assert registry.activate("v2") is False  # already active: nothing to tell
    assert registry.activate("") is True  # empty names the project directory
    assert changes == ["v2", "fs"] and registry.steps["hello"].file == "steps/hello_step.py"


async def test_the_invoker_routes_to_the_active_version_only() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    old = join(registry, "old", HELLO_V1)
    new = join(registry, "new", HELLO_V2, version="v2")

    task = asyncio.ensure_future(invoker.invoke("hello", "{}", "t1"))
    assert await answer(old, {"status": 200, "body": "old"}) == "hello"
    assert (await task)["body"] == "old" and new.out.empty()

    registry.activate("v2")
    task = asyncio.ensure_future(invoker.invoke("hello", "{}", "t2"))
    await answer(new, {"status": 200, "body": "new"})
    assert (await task)["body"] == "new" and old.out.empty()


async def test_a_version_with_no_live_sidecar_is_unavailable_even_when_another_serves_the_step() -> None:
    registry = Registry()
    old = join(registry, "old", HELLO_V1)
    join(registry, "new", HELLO_V2, version="v2")
    registry.activate("v2")
    registry.unregister(registry.serving.of("step", "v2", "hello")[0])
    with pytest.raises(StepUnavailable, match="no sidecar serving"):
        await Invoker(registry).invoke("hello", "{}", "t")
    assert old.out.empty()
    assert registry.describe()[0]["live"] is False  # still known: its route answers 503, not 404


def test_unregistering_one_version_leaves_the_other() -> None:
    registry = Registry()
    old = join(registry, "old", HELLO_V1)
    join(registry, "new", HELLO_V2, version="v2")
    registry.unregister(old)
    assert registry.describe()[0]["live"] is False
    assert registry.describe("v2")[0]["live"] is True
    registry.activate("v2")
    assert registry.is_live(registry.steps["hello"])


async def test_replicas_share_a_step_within_a_version_and_the_least_loaded_is_picked() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    a = join(registry, "a", HELLO_V1)
    b = join(registry, "b", HELLO_V1)
    assert registry.describe()[0]["sidecars"] == ["a", "b"]
    first = asyncio.ensure_future(invoker.invoke("hello", "{}", "t1"))
    msg = await asyncio.wait_for(a.out.get(), 5)  # both idle: the first replica
    assert msg is not None and a.load == 1
    second = asyncio.ensure_future(invoker.invoke("hello", "{}", "t2"))
    await answer(b, {"status": 200, "body": "b"})  # a is busy: the other one
    assert (await second)["body"] == "b"
    first.cancel()

    registry.unregister(a)
    assert registry.describe()[0]["sidecars"] == ["b"]
    registry.unregister(b)
    assert registry.describe()[0]["live"] is False
    # With nobody serving it, another file still may not take the name over by connecting:
    # changing a registered step is a reload (the supervisor's own sidecar) or a deployment.
    other = {"hello": ("steps/other_step.py", api("hello"))}
    c = session("c", other)
    [refused] = registry.register(c, [("hello", *other["hello"])])
    assert "changed: file: 'steps/hello_step.py' -> 'steps/other_step.py'" in refused.reason
    assert registry.register(c, [("hello", *other["hello"])], reload=True) == []
    assert registry.steps["hello"].file == "steps/other_step.py"
    assert registry.serving.of("step", "fs", "hello") == [c]


def test_a_replica_reload_brings_its_changed_config() -> None:
    # A reload: the host's supervisor started "b" (a replica merely dialing in may not change
    # the config: tests/security/test_doors_registration.py).
    registry = Registry()
    join(registry, "a", HELLO_V1)
    b = session("b", {})
    assert (
        registry.register(b, [("hello", "steps/hello_step.py", api("hello", "/hello2"))], reload=True) == []
    )
    assert registry.steps["hello"].config.path == "/hello2"  # type: ignore[union-attr]
    assert registry.describe()[0]["sidecars"] == ["a", "b"]


def test_a_second_file_claiming_a_live_name_is_refused_within_a_version_only() -> None:
    registry = Registry()
    join(registry, "a", HELLO_V1)
    other = session("b", {}, language="node")
    rejected = registry.register(other, [("hello", "steps/hello.step.ts", api("hello"))])
    assert [r.reason for r in rejected] == [
        "steps/hello.step.ts: duplicate step name 'hello': already registered from steps/hello_step.py (python)"
    ]
    assert registry.describe()[0]["sidecars"] == ["a"]
    # The same file in another language is a different step, refused too.
    same_file = session("c", {}, language="ruby")
    assert registry.register(same_file, [("hello", "steps/hello_step.py", api("hello"))])
    # In another version the same claim is fine.
    join(registry, "d", {"hello": ("steps/hello.step.ts", api("hello"))}, version="v2", language="node")


def test_event_steps_follow_the_active_version() -> None:
    registry = Registry()
    join(registry, "a", {"on-order": ("steps/order_step.py", event("on-order", "order.created"))})
    join(
        registry,
        "b",
        {"on-paid": ("steps/paid_step.py", event("on-paid", "order.paid"))},
        version="v2",
    )
    assert [e.name for e in registry.of_type(EventStep)] == ["on-order"]
    registry.activate("v2")
    assert [e.name for e in registry.of_type(EventStep)] == ["on-paid"]


def test_streams_are_per_version_and_a_kept_view_follows_activation() -> None:
    registry = Registry()
    kept = registry.streams  # the stream store keeps this reference for its lifetime
    join(registry, "a", {}, streams={"todo": "streams/todo_stream.py"})
    join(registry, "b", {}, streams={"chat": "streams/chat_stream.py"}, version="v2")
    assert set(kept) == {"todo"} and kept["todo"].version == "fs"
    registry.activate("v2")
    assert set(kept) == {"chat"} and "todo" not in kept


def test_a_second_stream_file_is_refused_within_a_version_only() -> None:
    registry = Registry()
    join(registry, "a", {}, streams={"todo": "streams/todo_stream.py"})
    dup = session("b", {}, language="node")
    rejected = registry.register(dup, [], [("todo", "streams/todo.stream.ts", json.dumps({"name": "todo"}))])
    assert [r.reason for r in rejected] == [
        "streams/todo.stream.ts: duplicate stream name 'todo': already defined in "
        "streams/todo_stream.py (python)"
    ]
    join(registry, "c", {}, streams={"todo": "streams/todo.stream.ts"}, language="node", version="v2")
    assert registry.serving.held(dup, "stream") == []


async def test_hooks_come_from_the_active_version() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    fs = join(registry, "a", {}, hooks=("stream_authenticate",))
    v2 = join(registry, "b", {}, version="v2")
    assert "stream_authenticate" in registry.hooks

    task = asyncio.ensure_future(
        invoker.hook("stream_authenticate", "{}", "t", 5.0, what="the stream auth hook")
    )
    await answer(fs, {"user": 1})
    assert await task == {"user": 1}

    registry.activate("v2")
    assert "stream_authenticate" not in registry.hooks  # v2 has no auth hook: the socket is open
    registry.activate("fs")
    registry.unregister(fs)
    # Declared but not served: still required, so the socket fails closed.
    assert "stream_authenticate" in registry.hooks
    with pytest.raises(StepUnavailable):
        await invoker.hook("stream_authenticate", "{}", "t", 5.0, what="the stream auth hook")
    assert v2.out.empty()


async def test_a_stream_access_check_runs_where_the_active_version_defines_the_stream() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    old = join(registry, "a", {}, streams={"todo": "streams/todo_stream.py"})
    new = join(registry, "b", {}, streams={"todo": "streams/todo.stream.ts"}, language="node", version="v2")
    registry.activate("v2")
    task = asyncio.ensure_future(
        invoker.hook("stream_can_access", "{}", "t", 5.0, what="access check", stream="todo")
    )
    assert await answer(new, True) == "todo"
    assert await task is True and old.out.empty()


async def test_a_freed_slot_goes_to_the_call_waiting_longest_not_to_a_newcomer() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    s = join(registry, "a", HELLO_V1, capacity=1)
    calls = [asyncio.ensure_future(invoker.invoke("hello", '"A"', "tA"))]
    first = await sent(s)
    calls += [asyncio.ensure_future(invoker.invoke("hello", f'"{n}"', f"t{n}")) for n in "BC"]
    await in_line(s, 2)

    async def answer_then_call() -> Any:
        await feed(s, result_of(first))  # A's slot is freed, and held for B...
        return await invoker.invoke("hello", '"D"', "tD")  # ...as D arrives, before B resumes

    calls.append(asyncio.ensure_future(answer_then_call()))
    order = [first.payload_json]
    for _ in "BCD":
        inv = await sent(s)
        order.append(inv.payload_json)
        await feed(s, result_of(inv))
    # D queued behind C. (Taking the slot instead sent D first and sent B to the back.)
    assert order == ['"A"', '"B"', '"C"', '"D"']
    assert [r["body"] for r in await asyncio.gather(*calls)] == ["A", "B", "C", "D"]
    assert s.load == 0 and s.held == 0 and s.has_room


async def test_a_slot_held_for_a_call_whose_caller_went_away_goes_to_the_next() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    s = join(registry, "a", HELLO_V1, capacity=1)
    a = asyncio.ensure_future(invoker.invoke("hello", '"A"', "tA"))
    first = await sent(s)
    b = asyncio.ensure_future(invoker.invoke("hello", '"B"', "tB"))
    c = asyncio.ensure_future(invoker.invoke("hello", '"C"', "tC"))
    await in_line(s, 2)

    await feed(s, result_of(first))  # the slot is held for B...
    b.cancel()  # ...whose caller goes away before it takes it
    inv = await sent(s)  # C gets it rather than waiting out its deadline
    assert inv.payload_json == '"C"'
    await feed(s, result_of(inv))
    assert (await a)["body"] == "A" and (await c)["body"] == "C"
    with pytest.raises(asyncio.CancelledError):
        await b
    assert s.load == 0 and s.held == 0 and s.has_room


async def test_settled_returns_when_the_last_invocation_ends_or_at_its_limit() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    s = join(registry, "a", HELLO_V1, capacity=2)
    await asyncio.wait_for(s.settled(5), 1)  # nothing in flight: at once
    calls = [asyncio.ensure_future(invoker.invoke("hello", f'"{n}"', f"t{n}")) for n in "AB"]
    first, second = await sent(s), await sent(s)
    await asyncio.wait_for(s.settled(0.05), 5)  # its own limit ends the wait...
    assert s.load == 2  # ...with both still running
    settling = asyncio.ensure_future(s.settled(30))
    await feed(s, result_of(first))
    await asyncio.sleep(0)
    assert not settling.done()  # B still runs
    await feed(s, result_of(second))
    await asyncio.wait_for(settling, 5)
    await asyncio.gather(*calls)


async def test_a_slot_held_for_a_waiting_call_counts_as_taken_when_picking_a_replica() -> None:
    registry = Registry()
    invoker = Invoker(registry)
    a = join(registry, "a", HELLO_V1, capacity=1)
    b = join(registry, "b", HELLO_V1, capacity=1)
    calls = [asyncio.ensure_future(invoker.invoke("hello", f'"{n}"', f"t{n}")) for n in "12"]
    on_a, on_b = await sent(a), await sent(b)
    calls.append(asyncio.ensure_future(invoker.invoke("hello", '"3"', "t3")))
    await in_line(a, 1)

    async def both_answer_then_call() -> Any:
        await feed(a, result_of(on_a))  # a's slot is held for call 3...
        await feed(b, result_of(on_b))  # ...and b's is free, nobody else waiting
        return await invoker.invoke("hello", '"4"', "t4")

    calls.append(asyncio.ensure_future(both_answer_then_call()))
    third, fourth = await sent(a), await sent(b)  # 4 went to the free replica at once
    assert (third.payload_json, fourth.payload_json) == ('"3"', '"4"')
    await feed(a, result_of(third))
    await feed(b, result_of(fourth))
    assert [r["body"] for r in await asyncio.gather(*calls)] == ["1", "2", "3", "4"]
