"""Registration cannot rewrite what is served: a replica must match the registered step (a
change is a reload or a deployment), two api steps may not share a route, and a sidecar
that can run nothing is turned away."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx

from stephost_host.link.session import Session
from stephost_host.router.registry import Registry
from stephost_host.router.routes import RouteTable
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from stephost_wire.v1 import sidecar_pb2_grpc as pb_grpc
from tests.harness import ROOT, eventually

PROJECTS = ROOT / "tests" / "projects"


def api(name: str, path: str, method: str = "GET") -> str:
    return json.dumps({"type": "api", "name": name, "path": path, "method": method})


async def _no_calls(*_: Any) -> Any:
    raise AssertionError("no call expected")


def session(sidecar_id: str) -> Session:
    hello = pb.Hello(
        protocol_version=codec.PROTOCOL_VERSION, language="python", sidecar_id=sidecar_id, capacity=1
    )
    return Session(hello, "test", _no_calls)


def test_a_replica_with_another_config_is_refused_with_a_diff(start_host: Any, tmp_path: Path) -> None:
    host = start_host(PROJECTS / "clash", live_steps=2)
    rogue = tmp_path / "rogue"
    shutil.copytree(PROJECTS / "clash", rogue)
    step = rogue / "steps" / "other_step.py"
    step.write_text(step.read_text().replace('"/other"', '"/other-hijacked"'))
    replica = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stephost_sidecar",
            "--connect",
            host.sidecar_address,
            "--secret",
            host.secret,
            str(rogue),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        line = eventually(
            lambda: host.log_lines("rejected step clash-other", "registered already with another config"),
            what="the replica's changed step to be refused",
        )
        assert "changed: path: '/other' -> '/other-hijacked'" in line[0]
        # Its unchanged step joins as a replica; the changed one changes nothing.
        eventually(lambda: len(host.steps()["ok"]["sidecars"]) == 2, what="the unchanged step's replica")
        assert len(host.steps()["clash-other"]["sidecars"]) == 1
        assert httpx.get(host.url + "/other").json() == {"other": True}
        assert httpx.get(host.url + "/other-hijacked").status_code == 404
    finally:
        replica.terminate()
        replica.wait(20)
    eventually(lambda: len(host.steps()["ok"]["sidecars"]) == 1)
    assert host.steps()["clash-other"]["path"] == "/other"
    assert httpx.get(host.url + "/other-hijacked").status_code == 404


def test_dev_reload_may_still_change_a_config(start_host: Any, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(PROJECTS / "clash", project)
    host = start_host(project, live_steps=2, mode="dev")
    step = project / "steps" / "other_step.py"
    step.write_text(step.read_text().replace('"/other"', '"/moved"'))
    eventually(lambda: httpx.get(host.url + "/moved").status_code == 200, timeout=30, what="the reload")
    assert httpx.get(host.url + "/other").status_code == 404
    assert not host.log_lines("registered already with another config")


def test_two_api_steps_on_one_route_are_refused_naming_both_files(start_host: Any) -> None:
    host = start_host(PROJECTS / "doors_routes", live_steps=2)
    steps = host.steps()
    [kept] = {"user", "user-again"} & set(steps)
    [line] = host.log_lines("ERROR rejected step", "is already served by step")
    files = {"user": "steps/users_step.py", "user-again": "steps/users_again_step.py"}
    assert all(f in line for f in files.values()), line
    assert "GET /users/:" in line and f"{kept!r}" in line
    assert httpx.get(host.url + "/users/7").json()["step"] == kept
    # Another method on the same path is another route.
    assert httpx.delete(host.url + "/users/7").json() == {"step": "user-delete"}


def test_a_hello_with_capacity_zero_is_rejected(start_host: Any) -> None:
    host = start_host(PROJECTS / "clash", live_steps=2)
    hello = pb.Hello(
        protocol_version=codec.PROTOCOL_VERSION,
        language="python",
        sidecar_id="zero",
        capacity=0,
        secret=host.secret,
        steps=[pb.StepManifest(name="z", file="steps/z_step.py", config_json=api("z", "/z"))],
    )

    def batches() -> Iterator[pb.SidecarBatch]:
        yield pb.SidecarBatch(messages=[pb.SidecarMessage(hello=hello)])

    with grpc.insecure_channel(host.sidecar_address) as channel:
        first = next(iter(pb_grpc.SidecarHostStub(channel).Connect(batches(), timeout=10)))
    rejection = first.messages[0].rejection
    assert rejection.code == "bad_hello"
    assert "capacity must be > 0" in rejection.message and "--capacity" in rejection.message
    assert "z" not in host.steps()


def test_registry_rules_for_replicas_and_routes() -> None:
    registry = Registry()
    a = session("a")
    assert registry.register(a, [("u", "steps/u_step.py", api("u", "/users/:id"))]) == []
    # The same step again (a replica) is fine; another config is not, unless it is a reload.
    assert registry.register(session("b"), [("u", "steps/u_step.py", api("u", "/users/:id"))]) == []
    [refused] = registry.register(session("c"), [("u", "steps/u_step.py", api("u", "/users/:id", "PUT"))])
    assert "changed: method: 'GET' -> 'PUT'" in refused.reason
    # A route differing only in a parameter name, from another file, is the same route.
    [clash] = registry.register(session("d"), [("v", "steps/v_step.py", api("v", "/users/:uid/"))])
    assert (
        "steps/v_step.py: GET /users/:uid/ is already served by step 'u' from steps/u_step.py" in clash.reason
    )
    # When the last sidecar serving a step is gone, the next connection still may not change
    # it (issue 11: never a side effect of a connection); the supervisor's reload may.
    registry.unregister(a)
    registry.unregister(next(s for s in registry.serving.of("step", "fs", "u")))
    [refused] = registry.register(session("e"), [("u", "steps/u_step.py", api("u", "/people/:id"))])
    assert "changed: path: '/users/:id' -> '/people/:id'" in refused.reason
    assert not registry.is_live(registry.steps["u"])
    assert (
        registry.register(session("e"), [("u", "steps/u_step.py", api("u", "/people/:id"))], reload=True)
        == []
    )
    # ... and a live step may take over a route a gone step's definition still names.
    assert registry.register(session("f"), [("w", "steps/w_step.py", api("w", "/people/:pid"))]) != []
    registry.unregister(next(s for s in registry.serving.of("step", "fs", "u")))
    assert registry.register(session("g"), [("w", "steps/w_step.py", api("w", "/people/:pid"))]) == []
    route, _ = RouteTable.build(registry).match("GET", "/people/1") or (None, None)
    assert route is not None and route.step == "w"


def test_the_beat_door_needs_the_secret_and_names_only_open_streams(start_host: Any) -> None:
    """``Beat`` (a sidecar's heartbeat from beside a blocked loop) is a door like the hello: a
    wrong secret is refused, and it keeps alive only a sidecar whose stream is open."""
    host = start_host(PROJECTS / "clash", live_steps=2)
    sidecar_id = host.steps()["ok"]["sidecars"][0]
    with grpc.insecure_channel(host.sidecar_address) as channel:
        stub = pb_grpc.SidecarHostStub(channel)
        for secret in ("", "wrong"):
            try:
                stub.Beat(pb.BeatRequest(sidecar_id=sidecar_id, secret=secret), timeout=10)
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.UNAUTHENTICATED
                assert "secret" in (exc.details() or "")
            else:
                raise AssertionError(f"a Beat with secret {secret!r} was answered")
        assert stub.Beat(pb.BeatRequest(sidecar_id=sidecar_id, secret=host.secret), timeout=10).known
        assert not stub.Beat(pb.BeatRequest(sidecar_id="nobody", secret=host.secret), timeout=10).known
