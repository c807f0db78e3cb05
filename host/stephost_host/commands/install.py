"""``stephost install [PROJECT]``: create or update the project's own dependencies (a venv for
requirements.txt / pyproject.toml, the Ruby bundle for a Gemfile); ``stephost dev`` and
``start`` do the same, when out of date, before starting the sidecars."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stephost_host.errors import ConfigError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "install",
        help="create or update the project's Python venv (requirements.txt, pyproject.toml) "
        "and Ruby bundle (Gemfile)",
    )
    p.add_argument("project", nargs="?", default=".", help="project directory (default: .)")
    p.add_argument("--state-dir", type=Path, help="where the venv and bundle go (default PROJECT/.stephost)")
    p.set_defaults(func=run)


def _say(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    from stephost_host.config import load_settings
    from stephost_host.supervisor import project_deps
    from stephost_host.supervisor.installing import InstallError

    try:
        settings = load_settings(args.project, state_dir=args.state_dir)
    except ConfigError as exc:
        print(f"stephost install: {exc}", file=sys.stderr)
        return 2
    project = settings.project
    try:
        if not project_deps.declared(project):
            print(
                f"stephost install: {project}: nothing to install (no requirements.txt, pyproject.toml "
                "with [project].dependencies, or Gemfile)"
            )
        elif not project_deps.install(project, settings.runtime_dir, _say):
            print(f"stephost install: {project}: dependencies are up to date")
    except InstallError as exc:
        print(f"stephost install: {exc}", file=sys.stderr)
        return 1
    if (project / "package.json").is_file() and not (project / "node_modules").is_dir():
        # Node steps resolve packages from the project's node_modules, which npm fills.
        print(f"stephost install: {project}: Node packages are npm's: run `npm install` there")
    return 0
