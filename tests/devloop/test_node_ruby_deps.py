"""Node and Ruby steps and the project's own packages, through a real host: a TypeScript step
importing a package the project lacks is that file's load error saying to `npm install` it;
a project Gemfile is resolved from the machine's gems and the Ruby sidecar runs inside it (a
gem outside the Gemfile is not loadable); a Gemfile the machine cannot satisfy is refused
naming the Gemfile and what is supported."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.devloop.projects import ENV_TS, write_project
from tests.harness import STEPHOST, eventually

ZOD_STEP = """
import { z } from 'zod'

export const config = { name: 'needs-zod', type: 'api', path: '/zod', method: 'POST', emits: [],
  bodySchema: z.object({ n: z.number() }) }
export const handler = async () => ({ status: 200, body: {} })
"""
GEMS_STEP = """
require "prime"

def config
  { "name" => "gems-rb", "type" => "api", "path" => "/gems", "method" => "GET", "emits" => [] }
end

def handler(req, ctx)
  faraday = begin
    require "faraday" # installed on the machine, but not in the project's Gemfile
    "loaded"
  rescue LoadError => e
    e.class.name
  end
  { "status" => 200, "body" => { "primes" => Prime.first(4), "faraday" => faraday } }
end
"""


def load_errors(host: Any) -> dict[str, str]:
    auth = {"authorization": f"Bearer {host.secret}"}
    found = httpx.get(host.url + "/__stephost/load-errors", headers=auth, timeout=10).json()["loadErrors"]
    return {e["file"]: e["message"] for e in found}


def test_a_package_the_project_lacks_is_a_load_error_saying_to_install_it(
    start_host: Any, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "proj", {"zod.step.ts": ZOD_STEP, "env-ts.step.ts": ENV_TS})
    host = start_host(project, live_steps=1)
    errors = eventually(lambda: load_errors(host), what="the zod step's load error")
    message = errors["steps/zod.step.ts"]
    assert "'zod'" in message, message
    assert message.endswith("add it with `npm install zod` in the project"), message
    assert httpx.get(host.url + "/env/ts", params={"names": "HOME"}).status_code == 200  # the others load


def test_a_project_gemfile_is_honoured_from_the_machines_gems(start_host: Any, tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {"gems_step.rb": GEMS_STEP},
        {"Gemfile": 'source "https://rubygems.org"\ngem "prime"\n'},
    )
    host = start_host(project)  # `stephost start` resolves the Gemfile first (it is new)
    assert host.log_lines(f"resolving {project / 'Gemfile'} against the gems installed on this machine")
    body = httpx.get(host.url + "/gems", timeout=30).json()
    assert body == {"primes": [2, 3, 5, 7], "faraday": "LoadError"}
    assert not (project / ".bundle").exists() and not (project / "Gemfile.lock").exists()  # nothing written


def test_a_gemfile_the_machine_cannot_satisfy_is_refused_with_what_is_supported(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {"gems_step.rb": GEMS_STEP},
        {"Gemfile": 'source "https://rubygems.org"\ngem "stephost-no-such-gem"\n'},
    )
    out = subprocess.run(
        [*STEPHOST, "install", str(project), "--state-dir", str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 1
    assert f"stephost install: {project / 'Gemfile'}: Bundler could not satisfy it" in out.stderr
    assert "stephost installs no gems from the network" in out.stderr
    assert "stephost-no-such-gem" in out.stderr  # Bundler's own words name the gem


def test_install_says_when_there_is_nothing_to_install_and_leaves_node_packages_to_npm(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path / "proj", {"env-ts.step.ts": ENV_TS}, {"package.json": "{}\n"})
    out = subprocess.run([*STEPHOST, "install", str(project)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"stephost install: {project}: nothing to install (no requirements.txt, pyproject.toml with "
        "[project].dependencies, or Gemfile)",
        f"stephost install: {project}: Node packages are npm's: run `npm install` there",
    ]
