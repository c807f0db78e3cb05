"""state.update is atomic across replicas: two sidecar processes of each language, each
incrementing the same key 1,000 times with update, end at exactly 2,000 (6,000 across the
three languages; a get then set would lose increments whenever the two interleave). And the compare-and-set it is built
on, over the ingress: SetState with a stale expected_revision is ABORTED and writes nothing."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import httpx
import pytest

from stephost.client import Client, IngressError
from stephost_host.supervisor.languages import languages
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.conformance.test_conformance import FIXTURE_STEPS
from tests.harness import ROOT, HostProcess, NatsServer, eventually

CONFORMANCE = ROOT / "tests" / "conformance"
INCREMENTS = 1000
LANGUAGES = ["python", "node", "ruby"]


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("atomic-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def python_host(nats: NatsServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """Shared by the python case and the ingress test: a host start is the slow part."""
    host = HostProcess(CONFORMANCE / "python", tmp_path_factory.mktemp("atomic-python"), nats.url)
    yield host.wait_ready(live_steps=FIXTURE_STEPS)
    host.stop()


def second_replica(host: HostProcess, language: str) -> subprocess.Popen[bytes]:
    """Another sidecar of the language, dialling in as one in its own container would."""
    project = CONFORMANCE / language
    command = languages()[language].command()
    return subprocess.Popen(
        [*command, "--connect", host.sidecar_address, "--secret", host.secret, str(project)],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def incr(host: HostProcess, key: str) -> dict[str, int]:
    r = httpx.post(f"{host.url}/incr/{key}", params={"n": INCREMENTS}, timeout=150)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_replicas_updating_one_key_lose_no_increment(
    language: str, nats: NatsServer, tmp_path: Path
) -> None:
    """One language at a time (the three at once overload a 2-core machine): 2,000 each,
    6,000 across the three."""
    host = HostProcess(CONFORMANCE / language, tmp_path / "host", nats.url).wait_ready(
        live_steps=FIXTURE_STEPS
    )
    extra = second_replica(host, language)
    try:
        eventually(
            lambda: len(host.steps()["conf-incr"]["sidecars"]) == 2,
            timeout=60,
            what=f"the second {language} replica serving conf-incr",
        )
        key = uuid.uuid4().hex[:10]
        # The router sends each request to the least-loaded replica, so two at once usually go
        # one each; a loaded machine can starve the second replica's link for a round, so up to
        # three rounds are run until both replicas have updated the key. Every round must add
        # exactly its 2,000 increments.
        served: set[int] = set()
        expected = 0
        for _ in range(3):
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda _: incr(host, key), range(2)))
            expected += 2 * INCREMENTS
            assert max(a["last"] for a in answers) == expected, answers
            served |= {a["replica"] for a in answers}
            if len(served) == 2:
                break
        assert len(served) == 2, f"one replica served every round: {served}; second exited: {extra.poll()}"
        final = httpx.get(f"{host.url}/state/conf-incr/{key}", timeout=10).json()
        assert final == expected, f"{language}: {expected - final} increments lost"
    finally:
        extra.terminate()
        extra.wait(timeout=30)
        if language != "python":
            host.stop()


def test_ingress_set_state_with_a_stale_revision_is_aborted(python_host: HostProcess) -> None:
    host = python_host
    with grpc.insecure_channel(host.info["ingress"]) as channel:
        ingress = pb_grpc.IngressStub(channel)
        group, key = "atomic", uuid.uuid4().hex[:10]
        assert ingress.GetState(pb.GetStateRequest(group=group, key=key)).revision == 0
        first = ingress.SetState(
            pb.SetStateRequest(group=group, key=key, value_json="1", expected_revision=0)
        )
        assert first.revision > 0
        with pytest.raises(grpc.RpcError) as again:  # 0: must not exist, and it does now
            ingress.SetState(pb.SetStateRequest(group=group, key=key, value_json="9", expected_revision=0))
        assert again.value.code() == grpc.StatusCode.ABORTED
        assert "changed since revision 0" in (again.value.details() or "")
        read = ingress.GetState(pb.GetStateRequest(group=group, key=key))
        assert (read.value_json, read.revision) == ("1", first.revision)
        second = ingress.SetState(
            pb.SetStateRequest(group=group, key=key, value_json="2", expected_revision=read.revision)
        )
        with pytest.raises(grpc.RpcError) as stale:  # the revision read before "2" was written
            ingress.SetState(
                pb.SetStateRequest(group=group, key=key, value_json="3", expected_revision=read.revision)
            )
        assert stale.value.code() == grpc.StatusCode.ABORTED
        # Without expected_revision the write is unconditional, as before.
        plain = ingress.SetState(pb.SetStateRequest(group=group, key=key, value_json="4"))
        assert plain.revision > second.revision
        assert ingress.GetState(pb.GetStateRequest(group=group, key=key)).value_json == "4"
    # The Python client: update_state from two threads at once loses nothing.
    counter = f"n-{key}"
    with Client(host.info["ingress"]) as a, Client(host.info["ingress"]) as b:
        with ThreadPoolExecutor(2) as pool:
            list(
                pool.map(
                    lambda c: [c.update_state(group, counter, lambda v: (v or 0) + 1) for _ in range(100)],
                    [a, b],
                )
            )
        assert a.get_state_revision(group, counter)[0] == 200
        with pytest.raises(IngressError) as lost:
            a.set_state(group, counter, 0, expected_revision=1)
        assert lost.value.code == "ABORTED"
