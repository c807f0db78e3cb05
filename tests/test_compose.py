"""docker/: the compose file's shape, and its moving parts run for real.

There is no Docker engine on the development machines, so nothing here builds an image.
What can be checked without one is: every service has a health check, a non-root user and
a read-only root; the project is mounted read-only; every language's sidecar dials the host
with the shared secret; NATS keeps its data on a volume and takes only the host's
credentials; every Dockerfile named exists, has the stage named and copies files that exist.
And the parts that run inside the containers run here too: nats-server on docker/nats.conf,
the host's and the sidecars' health checks against a real host with a real sidecar.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from stephost_host.natsio.embedded import find_binary
from tests.harness import ROOT, HostProcess, NatsServer, eventually
from tests.security.test_nats_auth import refusal

DOCKER = ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SIDECARS = {"sidecar-python": "python", "sidecar-node": "node", "sidecar-ruby": "ruby"}
REQUIRED = re.compile(r"^\$\{(\w+):\?[^}]+\}$")  # ${NAME:?message}: compose refuses to start without it


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} (the error when NAME is unset)."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        if op == "?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == "-" else ""

    return re.sub(r"\$\{(\w+)(?::([?-])([^}]*))?\}", one, value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the compose file ------------------------------------------------------------------------


def test_every_language_has_a_sidecar_beside_host_and_nats() -> None:
    assert set(SERVICES) == {"nats", "host", *SIDECARS}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_is_checked_unprivileged_and_read_only(name: str) -> None:
    service = SERVICES[name]
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD" and len(test) > 1, f"{name}: a health check runs a real command"
    uid = str(service["user"]).split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"{name}: runs as a numeric non-root user, not {uid!r}"
    assert service["read_only"] is True, f"{name}: its root filesystem is read-only"
    assert "/tmp" in service["tmpfs"]
    assert service["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", ["host", *SIDECARS])
def test_the_project_is_mounted_read_only(name: str) -> None:
    mounts = [v for v in SERVICES[name]["volumes"] if ":/app" in v]
    assert mounts and all(m.endswith(":/app:ro") for m in mounts), f"{name}: {mounts}"


def test_the_host_uses_the_nats_service_with_credentials_and_a_state_dir_outside_the_project() -> None:
    host = SERVICES["host"]
    env = host["environment"]
    with pytest.raises(KeyError, match="NATS_PASSWORD"):
        interpolate(env["STEPHOST_NATS_URL"], {})
    url = urlsplit(interpolate(env["STEPHOST_NATS_URL"], {"NATS_PASSWORD": "0123abcd"}))
    assert (url.scheme, url.hostname, url.port) == ("nats", "nats", 4222)
    assert (url.username, url.password) == ("stephost", "0123abcd")
    assert REQUIRED.match(env["STEPHOST_SECRET"])
    assert not env["STEPHOST_STATE_DIR"].startswith("/app")
    assert "--no-sidecars" in host["command"]
    assert host["depends_on"]["nats"]["condition"] == "service_healthy"
    assert host["environment"]["STEPHOST_SIDECAR_HOST"] == "0.0.0.0"


def test_nats_keeps_its_data_on_a_volume_and_needs_a_password() -> None:
    nats = SERVICES["nats"]
    volume = next(v for v in nats["volumes"] if v.endswith(":/var/lib/stephost"))
    assert volume.split(":")[0] in COMPOSE["volumes"]
    assert REQUIRED.match(nats["environment"]["NATS_PASSWORD"])
    assert "/etc/stephost/nats.conf" in nats["command"]


@pytest.mark.parametrize("name", sorted(SIDECARS))
def test_every_sidecar_dials_the_host_with_the_secret(name: str) -> None:
    sidecar = SERVICES[name]
    env = sidecar["environment"]
    assert env["STEPHOST_CONNECT"] == "host:7070"
    assert env["STEPHOST_SECRET"] == SERVICES["host"]["environment"]["STEPHOST_SECRET"]
    assert sidecar["depends_on"]["host"]["condition"] == "service_healthy"
    assert sidecar["healthcheck"]["test"] == ["CMD", "stephost-sidecar-health"]


# -- the Dockerfiles -------------------------------------------------------------------------


def _stages(dockerfile: Path) -> dict[str, list[tuple[str, str]]]:
    """Stage name (or its index) -> its instructions as (KEYWORD, rest), continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            current = []
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages[name] = current
        current.append((keyword.upper(), rest.strip()))
    return stages


def _builds() -> list[tuple[str, Path, str | None]]:
    return [
        (name, ROOT / s["build"]["dockerfile"], s["build"].get("target"))  # context: the checkout
        for name, s in SERVICES.items()
    ]


@pytest.mark.parametrize(("name", "dockerfile", "target"), _builds())
def test_every_build_names_a_stage_that_exists(name: str, dockerfile: Path, target: str | None) -> None:
    assert SERVICES[name]["build"]["context"] == ".."
    stages = _stages(dockerfile)
    assert target is None or target in stages, f"{name}: no stage {target!r} in {dockerfile.name}"


@pytest.mark.parametrize("dockerfile", sorted(DOCKER.glob("*.Dockerfile")), ids=lambda p: p.name)
def test_dockerfiles_copy_files_that_exist_and_end_unprivileged(dockerfile: Path) -> None:
    stages = _stages(dockerfile)
    for instructions in stages.values():
        for keyword, rest in instructions:
            if keyword != "COPY" or "--from=" in rest:
                continue
            *sources, _ = shlex.split(rest)
            for source in sources:
                assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source}: no such file"
    for name, instructions in stages.items():
        if name in ("wheel",):  # a build stage: nothing of it runs
            continue
        users = [rest for keyword, rest in instructions if keyword == "USER"]
        inherited = instructions[0][1].split()[0] in stages  # FROM an earlier stage keeps its USER
        assert users or inherited, f"{dockerfile.name} stage {name}: no USER"
        assert not users or users[-1].split(":")[0] not in ("root", "0")


def test_python_images_write_no_bytecode_and_keep_state_outside_the_project() -> None:
    env = " ".join(rest for k, rest in _stages(DOCKER / "host.Dockerfile")["runtime"] if k == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "STEPHOST_STATE_DIR=/var/lib/stephost" in env


# -- what runs inside the containers, run here -------------------------------------------------


@pytest.fixture
def compose_nats(tmp_path: Path) -> Iterator[tuple[str, int, str]]:
    """nats-server on docker/nats.conf: ports moved by flags (they override the file), the store
    moved to a temp folder (nats-server allows no flag for a store_dir the file sets)."""
    text = (DOCKER / "nats.conf").read_text()
    assert "store_dir: /var/lib/stephost/nats" in text  # on the compose volume
    conf = tmp_path / "nats.conf"
    conf.write_text(text.replace("/var/lib/stephost/nats", str(tmp_path / "store")))
    password = os.urandom(12).hex()
    port, http_port = _free_port(), _free_port()
    cmd = [find_binary(), "--config", str(conf), "-p", str(port), "-m", str(http_port)]
    env = {**os.environ, "NATS_PASSWORD": password}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(
            lambda: httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=2).status_code == 200,
            what="nats-server on docker/nats.conf",
        )
        yield password, port, health_command("nats", 8222, http_port)
    finally:
        proc.terminate()
        proc.wait(10)


def health_command(service: str, port: int, actual: int) -> str:
    """The service's health check as compose runs it, aimed at ``actual`` instead of ``port``."""
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[1:3] == ["python", "-c"]
    return str(test[3]).replace(f":{port}/", f":{actual}/")


def _run_python(code: str) -> int:
    return subprocess.run(["python3", "-c", code], capture_output=True, timeout=30).returncode


def test_nats_conf_takes_the_hosts_credentials_only(compose_nats: tuple[str, int, str]) -> None:
    password, port, health = compose_nats
    url = SERVICES["host"]["environment"]["STEPHOST_NATS_URL"]
    url = url.replace("${NATS_PASSWORD:?set NATS_PASSWORD}", password).replace(
        "@nats:4222", f"@127.0.0.1:{port}"
    )
    assert refusal(url) == ""
    assert "authorization" in refusal(f"nats://127.0.0.1:{port}").lower()
    assert refusal(f"nats://stephost:wrong@127.0.0.1:{port}")
    assert _run_python(health) == 0


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostProcess]:
    nats = NatsServer(tmp_path / "nats")
    host = HostProcess(
        ROOT / "tests" / "projects" / "fuzz",
        tmp_path / "host",
        nats.url,
        env={"STEPHOST_LANGUAGES": "python"},
    )
    try:
        yield host.wait_ready(live_steps=3)
    finally:
        host.stop()
        nats.stop()


def test_health_checks_tell_a_live_host_and_sidecar_from_a_dead_one(host: HostProcess) -> None:
    http_port = int(host.url.rsplit(":", 1)[1])
    assert _run_python(health_command("host", 3000, http_port)) == 0
    assert _run_python(health_command("host", 3000, _free_port())) != 0

    def sidecar_health(connect: str) -> int:
        env = {**os.environ, "STEPHOST_CONNECT": connect}
        script = str(DOCKER / "sidecar-health.sh")
        return subprocess.run(["sh", script], env=env, capture_output=True, timeout=30).returncode

    # The python sidecar the host supervises holds its one connection to the sidecar port.
    assert sidecar_health(f"127.0.0.1:{host.sidecar_address.rsplit(':', 1)[1]}") == 0
    assert sidecar_health(f"host:{_free_port()}") == 1
