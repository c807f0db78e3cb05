from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MemoryChannel

from stephost_sidecar.hooks import Hooks
from stephost_sidecar.loader import LoadedStep, load_project
from stephost_sidecar.proto import codec, pb
from stephost_sidecar.runner import Runner, normalise_response

Write = Callable[[dict[str, str]], Path]


def make_step(name: str, kind: str, handler: Callable[..., Any], middleware: Any = ()) -> LoadedStep:
    return LoadedStep(name, kind, f"steps/{name}_step.py", {}, "{}", handler, list(middleware))


class Results:
    """The `reply` the connection would give: collects InvocationResults by id."""

    def __init__(self) -> None:
        self.got: dict[str, pb.InvocationResult] = {}
        self.arrived = asyncio.Event()

    def __call__(self, msg: pb.SidecarMessage) -> None:
        self.got[msg.result.invocation_id] = msg.result
        self.arrived.set()

    async def wait(self, invocation_id: str, timeout: float = 5.0) -> pb.InvocationResult:
        async with asyncio.timeout(timeout):
            while invocation_id not in self.got:
                self.arrived.clear()
                await self.arrived.wait()
        return self.got[invocation_id]


def invocation(step: str, payload: Any = None, id: str = "i1", **kw: Any) -> pb.Invocation:
    return pb.Invocation(invocation_id=id, step=step, trace_id="t1", payload_json=codec.dumps(payload), **kw)


async def run_one(runner: Runner, inv: pb.Invocation) -> pb.InvocationResult:
    results = Results()
    runner.start(inv, results)
    return await results.wait(inv.invocation_id)


def test_responses_are_normalised_to_status_body_headers() -> None:
    assert normalise_response({"a": 1}) == {"status": 200, "body": {"a": 1}, "headers": {}}
    assert normalise_response(None) == {"status": 200, "body": None, "headers": {}}
    assert normalise_response({"status": 201, "headers": {"x": 1}}) == {
        "status": 201,
        "body": None,
        "headers": {"x": "1"},
    }
    with pytest.raises(ValueError, match="from 100 to 599"):
        normalise_response({"status": 700})


async def test_handler_signatures_per_step_type(channel: MemoryChannel) -> None:
    async def api(req: Any, ctx: Any) -> Any:
        return {"status": 201, "body": {"got": req["body"], "step": ctx.step}}

    def event(data: Any, ctx: Any) -> Any:
        return {"data": data, "topic": ctx.topic, "attempt": ctx.attempt}

    async def cron(ctx: Any) -> str:
        return ctx.trace_id

    steps = [make_step("a", "api", api), make_step("e", "event", event), make_step("c", "cron", cron)]
    runner = Runner(steps, Hooks(), channel, capacity=4)
    r = await run_one(runner, invocation("a", {"body": {"n": 1}}))
    assert json.loads(r.result_json) == {"status": 201, "body": {"got": {"n": 1}, "step": "a"}, "headers": {}}
    r = await run_one(runner, invocation("e", {"x": 1}, topic="t.x", attempt=3))
    assert json.loads(r.result_json) == {"data": {"x": 1}, "topic": "t.x", "attempt": 3}
    r = await run_one(runner, invocation("c"))
    assert json.loads(r.result_json) == "t1"
    runner.close()


async def test_plain_handlers_run_on_a_worker_thread_and_their_ctx_calls_block(
    channel: MemoryChannel,
) -> None:
    def handler(data: Any, ctx: Any) -> Any:
        ctx.state.set("g", "k", data)  # no await: the call blocks this worker thread
        ctx.logger.info("from a thread")
        return {"thread": threading.current_thread().name, "read": ctx.state.get("g", "k")}

    runner = Runner([make_step("e", "event", handler)], Hooks(), channel, capacity=1)
    got = json.loads((await run_one(runner, invocation("e", {"v": 2}))).result_json)
    assert got["thread"].startswith("step") and got["read"] == {"v": 2}
    assert channel.logs == [("i1", "info", "from a thread", None)]
    runner.close()


async def test_middleware_runs_in_order_can_short_circuit_and_decorate(channel: MemoryChannel) -> None:
    async def auth(req: Any, ctx: Any, next_fn: Any) -> Any:
        if req["headers"].get("x-token") != "ok":
            return {"status": 401, "body": {"error": "no token"}}
        req["user"] = "u1"
        return await next_fn()

    def stamp(req: Any, ctx: Any, next_fn: Any) -> Any:
        # A plain middleware hands back next_fn()'s coroutine; the runner awaits it.
        return next_fn()

    async def handler(req: Any, ctx: Any) -> Any:
        return {"status": 200, "body": {"user": req["user"]}, "headers": {"x-mw": "stamped"}}

    runner = Runner([make_step("g", "api", handler, [auth, stamp])], Hooks(), channel, capacity=2)
    denied = json.loads((await run_one(runner, invocation("g", {"headers": {}}))).result_json)
    assert denied == {"status": 401, "body": {"error": "no token"}, "headers": {}}
    inv = invocation("g", {"headers": {"x-token": "ok"}}, id="i2")
    allowed = json.loads((await run_one(runner, inv)).result_json)
    assert allowed == {"status": 200, "body": {"user": "u1"}, "headers": {"x-mw": "stamped"}}
    runner.close()


async def test_typed_errors_become_step_errors(project: Write, channel: MemoryChannel) -> None:
    root = project(
        {
            "steps/fail_step.py": """
                from stephost.errors import NonRetryableError, RetryableError

                config = {"name": "fail", "type": "event", "subscribes": ["t"]}

                def explode(kind):
                    if kind == "fatal":
                        raise NonRetryableError("fatal: 1")
                    if kind == "later":
                        raise RetryableError("later", retry_after=2.5)
                    raise ValueError("plain " + kind)

                async def handler(input, ctx):
                    explode(input)
            """
        }
    )
    runner = Runner(load_project(root).steps, Hooks(), channel, capacity=2)
    fatal = (await run_one(runner, invocation("fail", "fatal", id="a"))).error
    assert (fatal.type, fatal.message, fatal.retryable) == ("NonRetryableError", "fatal: 1", False)
    later = (await run_one(runner, invocation("fail", "later", id="b"))).error
    assert (later.type, later.retryable, later.retry_after_seconds) == ("RetryableError", True, 2.5)
    plain = (await run_one(runner, invocation("fail", "oops", id="c"))).error
    assert (plain.type, plain.message, plain.retryable, plain.retry_after_seconds) == (
        "ValueError",
        "plain oops",
        True,
        0.0,
    )
    # The stack shows the user's frames, not the sidecar's.
    assert "fail_step.py" in plain.stack and "in explode" in plain.stack
    assert "stephost_sidecar" not in plain.stack
    runner.close()


async def test_unknown_steps_bad_responses_and_middleware_errors_answer_with_errors(
    channel: MemoryChannel,
) -> None:
    def bad_mw(req: Any, ctx: Any, next_fn: Any) -> Any:
        raise PermissionError("denied")

    steps = [
        make_step("s", "api", lambda req, ctx: {"status": "nope"}),
        make_step("m", "api", lambda req, ctx: {}, [bad_mw]),
    ]
    runner = Runner(steps, Hooks(), channel, capacity=2)
    missing = (await run_one(runner, invocation("ghost", id="a"))).error
    assert missing.type == "LookupError" and "ghost" in missing.message
    assert (await run_one(runner, invocation("s", {}, id="b"))).error.type == "ValueError"
    assert (await run_one(runner, invocation("m", {}, id="c"))).error.message == "denied"
    runner.close()


async def test_capacity_bounds_concurrency_and_cancel_drops_the_result(channel: MemoryChannel) -> None:
    running = 0
    peak = 0
    release, full = asyncio.Event(), asyncio.Event()

    async def handler(data: Any, ctx: Any) -> Any:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 2:
            full.set()
        await release.wait()
        running -= 1
        return data

    runner = Runner([make_step("e", "event", handler)], Hooks(), channel, capacity=2)
    results = Results()
    for i in range(5):
        runner.start(invocation("e", i, id=f"i{i}"), results)
    await asyncio.wait_for(full.wait(), 5)
    assert runner.in_flight == 5 and peak == 2
    runner.cancel("i4")
    release.set()
    await runner.drain(timeout=5)
    assert peak == 2 and sorted(results.got) == ["i0", "i1", "i2", "i3"]
    runner.close()


async def test_abandon_cancels_everything_in_flight(channel: MemoryChannel) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def handler(data: Any, ctx: Any) -> Any:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    runner = Runner([make_step("e", "event", handler)], Hooks(), channel, capacity=2)
    results = Results()
    runner.start(invocation("e", id="a"), results)
    await asyncio.wait_for(started.wait(), 5)
    runner.abandon()
    await asyncio.wait_for(cancelled.wait(), 5)
    assert runner.in_flight == 0 and results.got == {}
    runner.close()


async def test_hooks_run_through_the_runner(channel: MemoryChannel) -> None:
    def authenticate(request: Any) -> Any:
        return {"user": request["token"]} if request["token"] else None

    hooks = Hooks(authenticate, {"open": lambda sub, auth: True, "truthy": lambda sub, auth: "yes"})
    runner = Runner([], hooks, channel, capacity=2)
    auth = await run_one(
        runner, pb.Invocation(invocation_id="a", hook="stream_authenticate", payload_json='{"token": "k"}')
    )
    assert json.loads(auth.result_json) == {"user": "k"}
    payload = codec.dumps({"subscription": {"streamName": "open", "groupId": "g"}, "authContext": None})
    check = pb.Invocation(invocation_id="b", hook="stream_can_access", step="open", payload_json=payload)
    assert json.loads((await run_one(runner, check)).result_json) is True
    # Only a real True opens a stream.
    check = pb.Invocation(invocation_id="c", hook="stream_can_access", step="truthy", payload_json=payload)
    assert json.loads((await run_one(runner, check)).result_json) is False
    check = pb.Invocation(invocation_id="d", hook="stream_can_access", step="none", payload_json=payload)
    assert (await run_one(runner, check)).error.type == "LookupError"
    runner.close()
