"""Bad step files and configs are reported clearly while every other step keeps serving;
only sidecars with the secret may register steps."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx

from tests.harness import ROOT, STEPHOST, eventually

PROJECTS = ROOT / "tests" / "projects"


def sidecar(address: str, project: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stephost_sidecar", "--connect", address, *args, str(PROJECTS / project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def test_invalid_configs_are_rejected_by_file_field_and_value(start_host: Any) -> None:
    host = start_host(PROJECTS / "bad_configs", live_steps=2)
    steps = host.steps()
    assert set(steps) == {"ok", "dup"}  # everything else was refused
    assert httpx.get(host.url + "/ok").json() == {"ok": True}
    log = host.log()
    assert (
        "steps/bad_cron_step.py: invalid config for step 'bad-cron': field 'cron' = \"every tuesday\"" in log
    )
    assert "steps/bad_method_step.py: invalid config for step 'bad-method': field 'method' = \"FETCH\"" in log
    assert (
        "could not load steps/no_handler_step.py: TypeError: the file must define a callable `handler`" in log
    )
    assert "could not load steps/import_error_step.py: ModuleNotFoundError" in log


def test_duplicate_step_name_in_one_project_names_both_files(start_host: Any) -> None:
    host = start_host(PROJECTS / "bad_configs", live_steps=2)
    assert host.steps()["dup"]["file"] == "steps/dup_a_step.py"
    assert httpx.get(host.url + "/dup-a").json() == "a"
    assert (
        "could not load steps/dup_b_step.py: step name 'dup' is already used by steps/dup_a_step.py"
        in host.log()
    )


def test_step_name_claimed_from_another_file_is_refused(start_host: Any) -> None:
    host = start_host(PROJECTS / "bad_configs", live_steps=2)
    other = sidecar(host.sidecar_address, "clash", "--secret", host.secret)
    try:
        eventually(lambda: "clash-other" in host.steps() and host.steps()["clash-other"]["live"], timeout=60)
        assert host.steps()["ok"]["file"] == "steps/ok_step.py"
        assert httpx.get(host.url + "/ok").json() == {"ok": True}  # the first owner keeps the route
        assert httpx.get(host.url + "/other").json() == {"other": True}
        assert httpx.get(host.url + "/ok-clash").status_code == 404
        eventually(lambda: "duplicate step name 'ok': already registered from steps/ok_step.py" in host.log())
    finally:
        other.terminate()
        other.wait(10)


def test_sidecar_with_wrong_secret_is_rejected_with_a_clear_message(start_host: Any) -> None:
    host = start_host(PROJECTS / "bad_configs", live_steps=2)
    rogue = sidecar(host.sidecar_address, "clash", "--secret", "not-the-secret")
    out, _ = rogue.communicate(timeout=30)
    assert rogue.returncode == 2
    assert "the host rejected this sidecar: unauthenticated: wrong secret" in out
    assert "ok-clash" not in str(host.steps())
    anonymous = sidecar(host.sidecar_address, "clash")
    out, _ = anonymous.communicate(timeout=30)
    assert anonymous.returncode == 2 and "--secret or STEPHOST_SECRET" in out


def test_sidecar_port_beyond_loopback_requires_a_secret(tmp_path: Any) -> None:
    done = subprocess.run(
        [
            *STEPHOST,
            "start",
            str(PROJECTS / "clash"),
            "--sidecar-host",
            "0.0.0.0",
            "--no-sidecars",
            "--state-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "a secret is required" in done.stderr and "STEPHOST_SECRET" in done.stderr


def test_bad_setting_names_the_key_and_value(tmp_path: Any) -> None:
    done = subprocess.run(
        [*STEPHOST, "start", str(PROJECTS / "clash"), "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "STEPHOST_RETRY_BACKOFF_BASE": "soon"},
    )
    assert done.returncode == 2
    assert "retry_backoff_base" in done.stderr and "'soon'" in done.stderr and "environment" in done.stderr
