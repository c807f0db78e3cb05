"""NATS never accepts anonymous clients from the host's side: the embedded server demands a
per-project token (owner-only, reused across restarts), and an external server is reached
with user/password or a token in the URL, an NKey seed, or TLS with a CA."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
import nkeys
import pytest

from stephost_host.natsio.credentials import ServerAuth
from tests.harness import ROOT, STEPHOST, HostProcess, NatsServer, eventually
from tests.test_ingress_security import self_signed

PROJECT = ROOT / "tests" / "projects" / "slow_events"  # an api step that emits, an event step that writes
LIVE = 3


def uid() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def hosts() -> Iterator[list[HostProcess]]:
    started: list[HostProcess] = []
    yield started
    for host in started:
        host.stop()


@pytest.fixture
def run_host(hosts: list[HostProcess]) -> Callable[..., HostProcess]:
    def run(state_dir: Path, nats_url: str | None, env: dict[str, str] | None = None) -> HostProcess:
        host = HostProcess(PROJECT, state_dir, nats_url, env=env)
        hosts.append(host)
        return host

    return run


def refusal(url: str, **options: Any) -> str:
    """Why the server turned a client with these credentials away ('' if it let it in)."""

    async def attempt() -> str:
        async def quiet(exc: Exception) -> None:
            pass

        try:
            nc = await nats.connect(url, allow_reconnect=False, connect_timeout=5, error_cb=quiet, **options)
        except Exception as exc:  # nats-py reports the server's -ERR as a plain nats Error
            return str(exc)
        await nc.close()
        return ""

    return asyncio.run(attempt())


def work_gets_done(host: HostProcess) -> str:
    """An api step emits, an event step writes state, an api step reads it back."""
    job = uid()
    with host.client() as http:
        assert http.post("/work", json={"id": job}).status_code == 202
        eventually(lambda: http.get(f"/work/work/{job}").json() == {"done": True, "attempt": 1}, what=job)
    return job


def stephost(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*STEPHOST, *args], capture_output=True, text=True, timeout=60)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_embedded_server_demands_the_projects_own_credentials(tmp_path: Path, run_host: Any) -> None:
    state = tmp_path / "state"
    host = run_host(state, None).wait_ready(LIVE)
    credentials = state / "nats" / "credentials"
    token = credentials.read_text().strip()
    assert len(token) >= 32
    assert mode(credentials) == 0o600
    assert mode(state / "nats" / "nats-server.conf") == 0o600  # it holds the token too
    assert mode(state / "runtime.json") == 0o600  # so does the URL in it

    url = host.info["nats"]
    assert urlsplit(url).username == token  # tools that read runtime.json connect with it
    address = f"nats://{urlsplit(url).hostname}:{urlsplit(url).port}"
    assert "authorization violation" in refusal(address).lower()
    assert "authorization violation" in refusal(address.replace("//", "//not-the-token@")).lower()
    assert "authorization violation" in refusal(address.replace("//", f"//stephost:{token}x@")).lower()
    assert refusal(url) == ""

    # The host and its sidecar still work: an emit from an api step, a state write from an event step.
    job = work_gets_done(host)

    # So does the CLI: `stephost emit` (gRPC ingress) and `stephost dlq list` (HTTP admin).
    emitted = uid()
    out = stephost(
        "emit", "--topic", "work.start", "--message", json.dumps({"id": emitted}), "--state-dir", str(state)
    )
    assert out.returncode == 0, out.stderr
    with host.client() as http:
        eventually(lambda: http.get(f"/work/work/{emitted}").json(), what="the CLI's event handled")
    dlq = stephost("dlq", "list", "--json", "--state-dir", str(state))
    assert dlq.returncode == 0, dlq.stderr
    assert json.loads(dlq.stdout) == []

    # A restarted host reuses the credentials, so it opens the same store and reads the earlier state.
    assert host.stop() == 0
    assert token not in host.log()
    again = run_host(state, None).wait_ready(LIVE)
    assert credentials.read_text().strip() == token
    assert urlsplit(again.info["nats"]).username == token
    with again.client() as http:
        assert http.get(f"/work/work/{job}").json() == {"done": True, "attempt": 1}
    work_gets_done(again)


def test_a_loosened_credentials_file_is_made_owner_only_again(tmp_path: Path, run_host: Any) -> None:
    state = tmp_path / "state"
    (state / "nats").mkdir(parents=True)
    credentials = state / "nats" / "credentials"
    credentials.write_text("a-token-someone-chose\n")
    os.chmod(credentials, 0o644)
    host = run_host(state, None).wait_ready(LIVE)
    assert mode(credentials) == 0o600
    assert urlsplit(host.info["nats"]).username == "a-token-someone-chose"


@pytest.fixture
def guarded_nats(tmp_path: Path) -> Iterator[Callable[..., NatsServer]]:
    servers: list[NatsServer] = []

    def start(auth: ServerAuth | None = None, extra_config: str = "") -> NatsServer:
        server = NatsServer(tmp_path / f"nats{len(servers)}", auth=auth, extra_config=extra_config)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_an_external_server_with_user_and_password(tmp_path: Path, run_host: Any, guarded_nats: Any) -> None:
    server = guarded_nats(ServerAuth(user="app", password="s3cret-pw"))
    assert "authorization violation" in refusal(f"nats://127.0.0.1:{server.port}").lower()
    host = run_host(tmp_path / "h", f"nats://app:s3cret-pw@127.0.0.1:{server.port}").wait_ready(LIVE)
    work_gets_done(host)
    assert "s3cret-pw" not in host.log()

    # A wrong password ends the host at once with a message that names the settings, not the secret.
    wrong = run_host(tmp_path / "w", f"nats://app:wrong-pw@127.0.0.1:{server.port}")
    assert wrong.proc.wait(30) == 2
    assert "refused the host's credentials" in wrong.log()
    assert "wrong-pw" not in wrong.log()


def test_an_external_server_with_a_token(tmp_path: Path, run_host: Any, guarded_nats: Any) -> None:
    server = guarded_nats(ServerAuth(token="a-long-shared-token"))
    assert "authorization violation" in refusal(f"nats://127.0.0.1:{server.port}").lower()
    host = run_host(tmp_path / "h", f"nats://a-long-shared-token@127.0.0.1:{server.port}").wait_ready(LIVE)
    work_gets_done(host)
    assert "a-long-shared-token" not in host.log()


def test_an_external_server_with_an_nkey(tmp_path: Path, run_host: Any, guarded_nats: Any) -> None:
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    public = nkeys.from_seed(bytearray(seed)).public_key.decode()
    seed_file = tmp_path / "user.nk"
    seed_file.write_bytes(seed)
    server = guarded_nats(extra_config=f'authorization {{\n  users: [{{ nkey: "{public}" }}]\n}}')
    url = f"nats://127.0.0.1:{server.port}"
    assert "authorization violation" in refusal(url).lower()
    host = run_host(tmp_path / "h", url, env={"STEPHOST_NATS_NKEY": str(seed_file)}).wait_ready(LIVE)
    work_gets_done(host)


def test_an_external_server_over_tls(tmp_path: Path, run_host: Any, guarded_nats: Any) -> None:
    cert, key = self_signed(tmp_path)
    server = guarded_nats(
        ServerAuth(user="app", password="tls-pw"),
        extra_config=f'tls {{\n  cert_file: "{cert}"\n  key_file: "{key}"\n}}',
    )
    url = f"nats://app:tls-pw@127.0.0.1:{server.port}"
    assert refusal(url) != ""  # without the CA the server's certificate is not trusted
    host = run_host(tmp_path / "h", url, env={"STEPHOST_NATS_TLS_CA": str(cert)}).wait_ready(LIVE)
    work_gets_done(host)


def test_a_missing_credentials_file_is_named_with_its_setting(tmp_path: Path) -> None:
    missing = tmp_path / "nope.creds"
    out = stephost("start", str(PROJECT), "--nats-url", "nats://127.0.0.1:1", "--nats-creds", str(missing))
    assert out.returncode == 2
    assert "'nats_creds'" in out.stderr and str(missing) in out.stderr


def test_external_credentials_without_an_external_server_are_refused(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("unused")
    state = str(tmp_path / "s")
    out = stephost("start", str(PROJECT), "--state-dir", state, "--no-sidecars", "--nats-tls-ca", str(ca))
    assert out.returncode == 2
    assert "'nats_tls_ca'" in out.stderr and "external NATS server" in out.stderr


def test_server_warnings_reach_the_log_at_their_level(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A plaintext password in nats-server.conf is a real warning, printed during start-up.
    caplog.set_level("DEBUG", logger="stephost.nats")
    server = NatsServer(tmp_path / "nats", auth=ServerAuth(user="u", password="plain"))
    try:
        warned = [r for r in caplog.records if "Plaintext passwords detected" in r.getMessage()]
        assert [r.levelname for r in warned] == ["WARNING"]
        assert warned[0].getMessage() == "nats-server: Plaintext passwords detected, use nkeys or bcrypt"
        # A refused client is an error on the server's side, surfaced at ERROR after start-up.
        refusal(f"nats://127.0.0.1:{server.port}")

        def logged() -> bool:
            server.loop.run_until_complete(asyncio.sleep(0.05))  # the output pump runs on this loop
            return any(
                r.levelname == "ERROR" and "authentication error" in r.getMessage() for r in caplog.records
            )

        eventually(logged, timeout=10, what="the server's [ERR] line")
    finally:
        server.stop()
