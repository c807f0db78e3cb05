"""Ingress security: TLS with a certificate made at test time, tokens over TLS, and
`stephost start` refusing to expose ingress beyond loopback without a token."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stephost import Client, IngressError
from stephost_wire.v1 import ingress_pb2 as pb
from stephost_wire.v1 import ingress_pb2_grpc as pb_grpc
from tests.harness import ROOT, STEPHOST

PROJECT = ROOT / "tests" / "projects" / "ingress"
NODE_CLIENT = ROOT / "examples" / "ingress" / "node" / "emit.js"
RUBY_CLIENT = ROOT / "examples" / "ingress" / "ruby" / "emit.rb"
TOKEN = "tls-test-token"


def self_signed(where: Path, name: str = "server") -> tuple[Path, Path]:
    """A throwaway certificate for localhost and 127.0.0.1 (never committed)."""
    cert, key = where / f"{name}.pem", where / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_host(start_host: Any, tmp_path: Path) -> tuple[Any, Path]:
    cert, key = self_signed(tmp_path)
    host = start_host(
        PROJECT,
        live_steps=0,
        args=["--no-sidecars", "--ingress-port", "0"],
        env={
            "STEPHOST_INGRESS_TOKEN": TOKEN,
            "STEPHOST_INGRESS_TLS_CERT": str(cert),
            "STEPHOST_INGRESS_TLS_KEY": str(key),
        },
    )
    return host, cert


def test_tls_ingress_on_its_own_port(tls_host: tuple[Any, Path], tmp_path: Path) -> None:
    host, cert = tls_host
    address = host.info["ingress"]
    assert host.info["ingress_tls"] is True
    assert address != host.sidecar_address

    with Client(address, token=TOKEN, root_certificates=cert) as client:
        first = client.emit("ingress.tls", {"secure": True})
        assert first.sequence > 0
        assert client.set_state("tls", "k", 1) == 1

    # Over TLS, a wrong token is still refused.
    with Client(address, token="wrong", root_certificates=cert) as client, pytest.raises(IngressError) as bad:
        client.emit("ingress.tls", 1)
    assert bad.value.code == "UNAUTHENTICATED"

    # A plaintext client, and a TLS client that does not trust the certificate, get nowhere.
    for untrusting in (
        Client(address, token=TOKEN, timeout=3),
        Client(
            address, token=TOKEN, tls=True, root_certificates=self_signed(tmp_path, "other")[0], timeout=3
        ),
    ):
        with untrusting, pytest.raises(IngressError) as refused:
            untrusting.emit("ingress.tls", 1)
        assert refused.value.code == "UNAVAILABLE"

    # Health checks work over TLS without a token.
    with grpc.secure_channel(address, grpc.ssl_channel_credentials(cert.read_bytes())) as channel:
        status = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=10
        )
        assert status.status == health_pb2.HealthCheckResponse.SERVING

    # The sidecar port does not serve Ingress when Ingress has a port of its own.
    with grpc.insecure_channel(host.sidecar_address) as channel, pytest.raises(grpc.RpcError) as missing:
        pb_grpc.IngressStub(channel).ListSteps(pb.ListStepsRequest(), timeout=10)
    assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize("kind", ["python", "node", "ruby"])
def test_every_client_speaks_tls(tls_host: tuple[Any, Path], kind: str) -> None:
    host, cert = tls_host
    if kind == "python":  # address, token and "TLS on" from runtime.json; the CA from the flag
        cmd = [*STEPHOST, "emit", "--state-dir", str(host.state_dir), "--ca-file", str(cert)]
        cmd += ["--topic", "ingress.tls", "--message", '{"via":"python"}']
    else:
        cmd = ["node", str(NODE_CLIENT)] if kind == "node" else ["ruby", str(RUBY_CLIENT)]
        cmd += ["--address", host.info["ingress"], "--token", TOKEN, "--ca-file", str(cert)]
        cmd += ["--topic", "ingress.tls", "--data", json.dumps({"via": kind})]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["sequence"] > 0


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`stephost start` that is expected to refuse before it starts anything."""
    return subprocess.run(
        [*STEPHOST, "start", str(PROJECT), "--no-sidecars", "--state-dir", str(tmp_path / "s"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "STEPHOST_SECRET": "sidecar-secret", **(env or {})},
    )


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--ingress-port", "0", "--ingress-host", "0.0.0.0"], {}, "ingress_host='0.0.0.0' would expose"),
        (["--ingress-port", "0"], {"STEPHOST_INGRESS_TLS_CERT": "/x.pem"}, "go together"),
        (
            [],
            {"STEPHOST_INGRESS_TLS_CERT": "/x.pem", "STEPHOST_INGRESS_TLS_KEY": "/x.key"},
            "TLS needs ingress on its own port",
        ),
        (
            ["--ingress-port", "0"],
            {"STEPHOST_INGRESS_TLS_CERT": "/nope.pem", "STEPHOST_INGRESS_TLS_KEY": "/nope.key"},
            "cannot read the ingress TLS files",
        ),
    ],
    ids=["own-public", "cert-without-key", "tls-on-shared-port", "missing-files"],
)
def test_start_refuses_unsafe_or_impossible_ingress(
    tmp_path: Path, args: list[str], env: dict[str, str], fragment: str
) -> None:
    done = _start(tmp_path, *args, env=env)
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr


def test_ingress_beyond_loopback_when_told_explicitly(start_host: Any) -> None:
    host = start_host(
        PROJECT,
        live_steps=0,
        args=[
            "--no-sidecars",
            "--ingress-port",
            "0",
            "--ingress-host",
            "0.0.0.0",
            "--ingress-allow-anonymous",
        ],
    )
    assert host.info["ingress"].startswith("127.0.0.1:")
    with Client(host.info["ingress"]) as client:
        assert client.emit("ingress.open", 1).sequence > 0


def test_a_public_sidecar_port_serves_the_ingress_only_with_a_token(start_host: Any) -> None:
    public = ["--no-sidecars", "--sidecar-host", "0.0.0.0"]
    host = start_host(
        PROJECT, live_steps=0, args=public, env={"STEPHOST_SECRET": "s", "STEPHOST_INGRESS_TOKEN": TOKEN}
    )
    with Client(host.info["ingress"], token=TOKEN) as client:
        assert client.list_steps() == []

    # No token: the host starts (sidecars may dial in) but keeps the ingress off, and says why.
    quiet = start_host(PROJECT, live_steps=0, args=public, env={"STEPHOST_SECRET": "s"})
    assert "ingress" not in quiet.info
    assert "the gRPC ingress is off" in quiet.log() and "ingress_token" in quiet.log()
    with grpc.insecure_channel(quiet.sidecar_address) as channel, pytest.raises(grpc.RpcError) as missing:
        pb_grpc.IngressStub(channel).ListSteps(pb.ListStepsRequest(), timeout=10)
    assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED
    done = subprocess.run(
        [*STEPHOST, "emit", "--state-dir", str(quiet.state_dir), "--topic", "t", "--message", "1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "serves no gRPC ingress" in done.stderr


def test_no_ingress_turns_it_off(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=0, args=["--no-sidecars", "--no-ingress"])
    assert "ingress" not in host.info
    with grpc.insecure_channel(host.sidecar_address) as channel, pytest.raises(grpc.RpcError) as missing:
        pb_grpc.IngressStub(channel).ListSteps(pb.ListStepsRequest(), timeout=10)
    assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_the_payload_limit_stays_below_what_nats_accepts(start_host: Any) -> None:
    """A payload NATS would refuse with its headers would cost the host its NATS connection."""
    host = start_host(
        PROJECT, live_steps=0, args=["--no-sidecars"], env={"STEPHOST_INGRESS_MAX_PAYLOAD_BYTES": "5000000"}
    )
    assert "accepting at most 1044480 bytes" in host.log()
    with Client(host.info["ingress"]) as client:
        biggest = client.emit("ingress.big", "x" * (1044480 - 2))  # a JSON string: two quotes
        with pytest.raises(IngressError) as err:
            client.emit("ingress.big", "x" * (1044480 - 1))
        assert err.value.code == "INVALID_ARGUMENT" and "limit of 1044480 bytes" in err.value.message
        assert client.emit("ingress.big", 1).sequence == biggest.sequence + 1
    assert "reconnecting" not in host.log()
