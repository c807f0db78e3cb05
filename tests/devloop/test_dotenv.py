"""The project's .env reaches the host's settings and every sidecar (Python, TypeScript, Ruby)
through a real host; the real environment wins over it; `stephost dev` restarts the sidecars
when it changes; `stephost sidecar` (standalone) reads it too; .env.example is never read."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost_host.config import ConfigError, load_settings
from tests.devloop.projects import ENV_PY, ENV_STEPS, LANGS, write_project
from tests.harness import STEPHOST, eventually

DOTENV = """# the project's settings
GREETING=hello from .env
export QUOTED="two words"
SHARED=from-dotenv
this line is not a variable
ECHO="${GREETING}!"
"""
NAMES = "GREETING,QUOTED,SHARED,ECHO,EXAMPLE_ONLY"


def env_of(host: Any, lang: str) -> dict[str, str | None]:
    response = httpx.get(f"{host.url}/env/{lang}", params={"names": NAMES}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_every_language_sees_dotenv_under_the_real_environment(start_host: Any, tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj", ENV_STEPS, {".env": DOTENV, ".env.example": "EXAMPLE_ONLY=never\n"}
    )
    host = start_host(project, live_steps=3, env={"SHARED": "from-real-env"})
    for lang in LANGS:
        assert env_of(host, lang) == {
            "GREETING": "hello from .env",
            "QUOTED": "two words",
            "SHARED": "from-real-env",  # the real environment wins
            "ECHO": "hello from .env!",  # ${NAME} interpolation
            "EXAMPLE_ONLY": None,  # .env.example is documentation, never loaded
        }, lang
    # The bad line is reported once per host, naming the file and the line, and skipped.
    warned = host.log_lines(f"{project / '.env'} line 5: cannot parse 'this line is not a variable'")
    assert len(warned) == 1, host.log()


def test_dev_restarts_the_sidecars_when_dotenv_changes(start_host: Any, tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", ENV_STEPS, {".env": "GREETING=first\n"})
    host = start_host(project, live_steps=3, mode="dev", env={"SHARED": "real"})
    for lang in LANGS:
        assert env_of(host, lang)["GREETING"] == "first"

    (project / ".env").write_text("GREETING=second\nSHARED=ignored\n")
    for lang in LANGS:
        eventually(
            lambda lang=lang: env_of(host, lang)["GREETING"] == "second",  # type: ignore[misc]
            timeout=60,
            what=f"the {lang} step to see the new .env value",
        )
        assert env_of(host, lang)["SHARED"] == "real"
    assert host.log_lines("files changed (.env)", "reloading the python sidecar")


def test_standalone_sidecar_reads_the_projects_dotenv(start_host: Any, tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", {"env_py_step.py": ENV_PY}, {".env": "GREETING=standalone\n"})
    host = start_host(project, live_steps=0, args=["--no-sidecars"])
    sidecar = subprocess.Popen(
        [
            *STEPHOST,
            "sidecar",
            "python",
            "--connect",
            host.sidecar_address,
            "--state-dir",
            str(host.state_dir),
            str(project),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        host.wait_ready(live_steps=1)
        assert env_of(host, "py")["GREETING"] == "standalone"
    finally:
        sidecar.terminate()
        sidecar.wait(30)


def test_dotenv_sits_between_stephost_toml_and_the_real_environment(tmp_path: Path) -> None:
    (tmp_path / "stephost.toml").write_text('log_level = "warning"\nport = 4000\n')
    (tmp_path / ".env").write_text("STEPHOST_LOG_LEVEL=debug\nSTEPHOST_PORT=4001\nSTEPHOST_HOST=0.0.0.0\n")
    (tmp_path / ".env.example").write_text("STEPHOST_SIDECAR_PORT=9\n")
    settings = load_settings(tmp_path, environ={"STEPHOST_PORT": "4002"}, host="127.0.0.2")
    assert settings.log_level == "debug"  # .env over stephost.toml
    assert settings.port == 4002  # the real environment over .env
    assert settings.host == "127.0.0.2"  # a CLI flag over everything
    assert settings.sidecar_port == 7070  # .env.example is not read

    dotenv = re.escape(str(tmp_path / ".env"))
    (tmp_path / ".env").write_text("STEPHOST_PORT=lots\n")
    with pytest.raises(ConfigError, match=rf"'port' \(from {dotenv}\) = 'lots'"):
        load_settings(tmp_path, environ={})
    (tmp_path / ".env").write_text("STEPHOST_REPLAY_NEW_SUBSCRIBERS=maybe\n")
    with pytest.raises(ConfigError, match=rf"='maybe' \(in {dotenv}\): expected true or false"):
        load_settings(tmp_path, environ={})
