"""The migrate hook's convention, read from a real archive of a real folder: what a version's
stephost.toml [deploy] table may say, the exact error for what it may not, and that a host
started on such a project folder accepts the table (it belongs to deploys, not to the host)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stephost_host.config import load_settings
from stephost_host.deployments.archive import pack
from stephost_host.deployments.migrate import Hook, MigrateFailed, hook_of


def _source(tmp_path: Path, toml: str | None) -> bytes:
    folder = tmp_path / "project"
    (folder / "steps").mkdir(parents=True)
    (folder / "steps" / "a_step.py").write_text("config = {}\n")
    if toml is not None:
        (folder / "stephost.toml").write_text(toml)
    return pack(folder, 10_000_000)


@pytest.mark.parametrize(
    ("toml", "hook"),
    [
        (None, None),
        ("replicas = 1\n", None),
        ("[deploy]\n", None),
        ('[deploy]\nmigrate = " python3 m.py "\n', Hook("python3 m.py", 120.0)),
        ('[deploy]\nmigrate = "./m"\nmigrate_timeout = 5\n', Hook("./m", 5.0)),
    ],
)
def test_a_hook_is_read_from_the_versions_stephost_toml(tmp_path: Path, toml: str | None, hook: Hook) -> None:
    assert hook_of(_source(tmp_path, toml), 120.0) == hook


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ("[deploy\n", "stephost.toml: "),
        ("deploy = 3\n", "[deploy] must be a table"),
        (
            '[deploy]\nmigrate = "x"\ntimeout = 3\n',
            "unknown key(s) [deploy] timeout (known: migrate, migrate_timeout)",
        ),
        ("[deploy]\nmigrate = 3\n", "[deploy] migrate must be a non-empty command string"),
        ('[deploy]\nmigrate = "  "\n', "[deploy] migrate must be a non-empty command string"),
        (
            '[deploy]\nmigrate = "x"\nmigrate_timeout = 0\n',
            "migrate_timeout must be a number of seconds above 0",
        ),
        ('[deploy]\nmigrate = "x"\nmigrate_timeout = true\n', "migrate_timeout must be a number of seconds"),
    ],
)
def test_a_malformed_deploy_table_is_named(tmp_path: Path, toml: str, error: str) -> None:
    with pytest.raises(MigrateFailed) as caught:
        hook_of(_source(tmp_path, toml), 120.0)
    assert error in str(caught.value)


def test_a_host_on_the_project_folder_accepts_the_deploy_table(tmp_path: Path) -> None:
    (tmp_path / "stephost.toml").write_text('replicas = 1\n[deploy]\nmigrate = "python3 m.py"\n')
    assert load_settings(tmp_path, environ={}).replicas == 1
