"""No door without its lock: a host always has a secret (generated and kept per project when
none is configured), the admin API checks it before reading a body, the step list, docs and
schema need it outside `stephost dev` on loopback, and the start-up log names each door's auth."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.harness import ROOT, STEPHOST, HostProcess

PROJECT = ROOT / "tests" / "projects" / "clash"
INTROSPECTION = (
    "/__stephost/steps",
    "/__stephost/docs",
    "/__stephost/openapi.json",
    "/__stephost/api/openapi.json",
)


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def test_no_sidecars_still_means_a_secret_kept_per_project(start_host: Any, nats_server: Any) -> None:
    host = start_host(PROJECT, live_steps=0, args=["--no-sidecars"])
    secret = host.secret
    assert len(secret) >= 32
    kept = host.state_dir / "secret"
    assert kept.read_text().strip() == secret
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600

    # Dead letters (payloads, stacks) need it; so does registering as a sidecar.
    assert httpx.get(host.url + "/__stephost/dlq").status_code == 401
    assert httpx.get(host.url + "/__stephost/dlq", headers=bearer(secret)).json() == []
    listed = subprocess.run(
        [*STEPHOST, "dlq", "list", "--state-dir", str(host.state_dir)], capture_output=True, text=True
    )
    assert listed.returncode == 0 and "0 dead letter(s)" in listed.stdout, listed.stderr
    anonymous = subprocess.run(
        [sys.executable, "-m", "stephost_sidecar", "--connect", host.sidecar_address, str(PROJECT)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert anonymous.returncode == 2 and "unauthenticated" in anonymous.stderr + anonymous.stdout

    # One line per door says how it is protected.
    for door in ("HTTP api steps", "admin API", "WebSocket streams", "sidecar port", "gRPC ingress", "NATS"):
        assert host.log_lines("auth: " + door), f"no auth line for {door}:\n{host.log()}"
    assert host.log_lines("auth: sidecar port", "generated, kept in", str(kept))

    # A restart on the same state directory reuses it (sidecars and tools keep working).
    assert host.stop() == 0
    again = HostProcess(PROJECT, host.state_dir, nats_server.url, args=["--no-sidecars"])
    try:
        again.wait_ready(live_steps=0)
        assert again.secret == secret
    finally:
        again.stop()


def test_admin_bodies_are_read_only_after_the_secret(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=2)
    for path in ("/__stephost/dlq/replay", "/__stephost/dlq/discard"):
        # Not JSON: anonymous callers learn nothing from validation, they get the 401.
        r = httpx.post(host.url + path, content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert "Authorization: Bearer <secret>" in r.json()["error"]
        authed = httpx.post(
            host.url + path,
            content=b"{not json",
            headers={"content-type": "application/json", **bearer(host.secret)},
        )
        assert authed.status_code == 422
    assert httpx.get(host.url + "/__stephost/dlq/1").status_code == 401
    assert httpx.get(host.url + "/__stephost/nothing-here").status_code == 401


def test_step_list_docs_and_schema_need_the_secret_outside_dev(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=2)  # `stephost start`
    for path in INTROSPECTION:
        assert httpx.get(host.url + path).status_code == 401, path
        assert httpx.get(host.url + path, headers=bearer("wrong")).status_code == 401, path
        assert httpx.get(host.url + path, headers=bearer(host.secret)).status_code == 200, path
    health = httpx.get(host.url + "/__stephost/health")
    assert health.status_code == 200 and health.json()["live"] == 2
    assert "steps/other_step.py" not in httpx.get(host.url + "/__stephost/steps").text


def test_dev_on_loopback_opens_the_step_list_and_docs_but_not_dead_letters(
    start_host: Any, tmp_path: Path
) -> None:
    host = start_host(PROJECT, live_steps=2, mode="dev")
    for path in INTROSPECTION:
        assert httpx.get(host.url + path).status_code == 200, path
    assert httpx.get(host.url + "/__stephost/dlq").status_code == 401
    assert host.log_lines("auth: admin API", "open: `stephost dev` on loopback")


def test_a_generated_secret_never_looks_like_a_command_line_option(tmp_path: Path) -> None:
    """`stephost sidecar --secret VALUE`: a value starting with "-" is read as an option and
    the sidecar exits with a usage error (base64url secrets did, one time in 64)."""
    from stephost_host.secret_files import kept_secret

    made = [kept_secret(tmp_path / str(i)) for i in range(300)]
    assert len(set(made)) == len(made)
    assert all(len(s) == 64 and not s.startswith("-") and int(s, 16) >= 0 for s in made)
    assert kept_secret(tmp_path / "7") == made[7]  # kept: read back, not made again
