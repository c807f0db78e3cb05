"""``stephost create``: every template makes a project whose own tests pass out of the box.

Each case creates a project in a temp folder and runs what the project's README documents, as
a user would: its "Add a step" command (``stephost generate step``), then its "Test it" command
(``npm test``, ``pytest``, ``rake test``), whose tests start a real host with real sidecars.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from stephost_host.scaffold import TEMPLATES
from tests.devloop.shell import Terminal, bash_blocks, sh

PASSED = {"npm test": "# fail 0", "pytest": " passed", "rake test": " 0 failures, 0 errors"}


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_a_created_project_passes_its_own_tests(tmp_path: Path, template: str) -> None:
    created = sh(f"stephost create hello-app --template {template}", tmp_path)
    assert created.returncode == 0, created.stdout
    project = tmp_path / "hello-app"
    readme = (project / "README.md").read_text()
    [test_command] = bash_blocks(readme, "## Test it")
    assert f"  cd hello-app\n  {test_command.strip()} " in created.stdout  # the next commands it printed
    for name in ("README.md", ".gitignore", ".env.example", "stephost.toml"):
        assert (project / name).is_file(), name
    assert "validate_schemas = true" in (project / "stephost.toml").read_text()
    steps = sorted(p.name for p in (project / "steps").iterdir())
    assert len(steps) == 4, steps  # an api, an event and a cron step, and a stream

    [add_step] = bash_blocks(readme, "## Add a step")
    added = sh(add_step, project)
    assert added.returncode == 0 and "Created steps/send" in added.stdout, added.stdout

    ran = sh(test_command, project)
    assert ran.returncode == 0, ran.stdout
    assert PASSED[test_command.strip()] in ran.stdout, ran.stdout


def test_the_mixed_flow_crosses_three_languages(tmp_path: Path) -> None:
    assert sh("stephost create mixed --template mixed", tmp_path).returncode == 0
    names = sorted(p.name for p in (tmp_path / "mixed" / "steps").iterdir())
    assert names == [
        "count_greetings.step.rb",
        "create-greeting.step.ts",
        "greetings_stream.py",
        "send_greeting_step.py",
    ]


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    done = sh("stephost create taken --template python", tmp_path)
    assert done.returncode == 2
    assert "taken already exists and is not empty" in done.stdout
    assert os.listdir(tmp_path / "taken") == ["notes.txt"]  # nothing written

    (tmp_path / "empty").mkdir()  # an empty folder is fine, the current one too
    assert sh("stephost create . --template python", tmp_path / "empty").returncode == 0
    assert (tmp_path / "empty" / "README.md").read_text().startswith("# empty\n")


def test_without_a_terminal_the_template_is_typescript(tmp_path: Path) -> None:
    done = sh("stephost create plain < /dev/null", tmp_path)
    assert done.returncode == 0, done.stdout
    assert (tmp_path / "plain" / "steps" / "create-greeting.step.ts").is_file()
    assert (tmp_path / "plain" / "node_modules" / "stephost" / "src" / "testing.js").is_file()


def test_on_a_terminal_it_asks_for_the_template(tmp_path: Path) -> None:
    term = Terminal([sys.executable, "-m", "stephost_host", "create", "asked"], tmp_path)
    term.expect("Template (typescript/javascript/python/ruby/mixed) [typescript]: ")
    term.send("cobol")
    term.expect("pick one of: typescript, javascript, python, ruby, mixed")
    term.send("ruby")
    term.expect("Created asked (ruby:")
    assert term.finish() == 0, term.screen
    assert (tmp_path / "asked" / "Rakefile").is_file()
