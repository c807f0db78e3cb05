"""The link's door for agents: the secret is checked as for any sidecar, and an agent's
hello may not bring steps (an agent never registers any)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from stephost_host.app import Host
from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from stephost_wire.v1 import sidecar_pb2_grpc as pb_grpc
from tests.harness import until


async def _hello(host: Host, hello: pb.Hello) -> pb.HostMessage:
    """Say one hello on a fresh stream; the host's first answer."""
    async with grpc.aio.insecure_channel(host.link.dial()) as channel:
        call = pb_grpc.SidecarHostStub(channel).Connect()
        await call.write(pb.SidecarBatch(messages=[pb.SidecarMessage(hello=hello)]))
        batch = await asyncio.wait_for(call.read(), 30)
        call.cancel()
        return batch.messages[0]


def _agent_hello(host: Host, **fields: Any) -> pb.Hello:
    base: dict[str, Any] = dict(
        protocol_version=codec.PROTOCOL_VERSION,
        language="python",
        sidecar_id="raw-agent",
        capacity=1,
        secret=host.secret.value,
        agent=True,
    )
    return pb.Hello(**{**base, **fields})


async def test_an_agent_needs_the_secret_and_brings_no_steps(host: Host, agents: Any) -> None:
    wrong = await _hello(host, _agent_hello(host, secret="wrong"))
    assert wrong.rejection.code == "unauthenticated"
    step = pb.StepManifest(
        name="s", type="noop", config_json='{"type":"noop","name":"s"}', file="steps/s_step.py"
    )
    with_steps = await _hello(host, _agent_hello(host, steps=[step]))
    assert with_steps.rejection.code == "bad_hello"
    assert with_steps.rejection.message == "an agent loads no steps, streams or hooks itself"
    assert host.agents.count("python") == 0 and host.registry.versions() == []

    welcomed = await _hello(host, _agent_hello(host))
    assert welcomed.HasField("welcome")


async def test_an_agent_process_with_a_wrong_secret_exits_2(host: Host, agents: Any) -> None:
    agent = agents("python", host, secret="not-the-hosts")
    code = await until(lambda: agent.proc.poll(), what="the refused agent to exit")
    assert code == 2
    assert "the host rejected this agent: unauthenticated" in agent.log()
