"""A project's own dependencies, per language: installing them (``stephost install``, and
``stephost dev``/``start`` when out of date) and running each sidecar inside them.

- Python: requirements.txt / pyproject.toml -> a venv (python_env.py);
- Ruby: Gemfile -> a bundle resolved from this machine's gems (ruby_env.py);
- Node: the project's own ``node_modules`` (``npm install`` is the project's business; a step
  importing a package the project lacks gets a load error that says so).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection
from pathlib import Path

from stephost_host.supervisor import languages, python_env, ruby_env
from stephost_host.supervisor.installing import Say, exclusive

log = logging.getLogger("stephost.install")
LOCK = "install.lock"
Installer = Callable[[Path, Path, Say], bool]
INSTALLERS: dict[str, Installer] = {"python": python_env.install, "ruby": ruby_env.install}


def declared(project: Path) -> list[Path]:
    """The files that declare the project's own dependencies, for the languages stephost installs."""
    gemfile = ruby_env.gemfile(project)
    return [*python_env.requirement_files(project), *([gemfile] if gemfile else [])]


def install(project: Path, state_dir: Path, say: Say, only: Collection[str] = ()) -> list[str]:
    """Bring each language's environment (of ``only``, or all) up to date; the languages whose
    environment changed. Raises InstallError naming the file and the installer's last lines."""
    with exclusive(state_dir / LOCK):
        return [
            name
            for name, installer in INSTALLERS.items()
            if (not only or name in only) and installer(project, state_dir, say)
        ]


def prepare(project: Path, state_dir: Path, say: Say, only: Collection[str] = ()) -> list[str]:
    """``install`` for the languages whose step files the project has (dev and start: a project
    with a requirements.txt but no Python step pays for no venv)."""
    found = [lang.name for lang in languages.detect(project) if not only or lang.name in only]
    return install(project, state_dir, say, found) if found else []


def for_sidecar(
    lang: languages.Language, project: Path, state_dir: Path
) -> tuple[languages.Language, dict[str, str]]:
    """How to start ``lang``'s sidecar inside the project's environment: the command (the venv's
    interpreter for Python) and the variables to add (Bundler's for Ruby)."""
    if lang.name == "python" and not languages.overridden("python"):
        venv_python = python_env.sidecar_interpreter(project, state_dir)
        if venv_python:
            return dataclasses.replace(lang, program=(str(venv_python), *lang.program[1:])), {}
        if python_env.requirement_files(project):
            # The first Python step appeared after `stephost dev` started: no venv was made.
            log.warning(
                "%s has Python requirements but no environment yet; its Python steps run on the "
                "host's interpreter until `stephost install` (or a restart) creates it",
                project,
            )
    if lang.name == "ruby":
        return lang, ruby_env.sidecar_env(project, state_dir)
    return lang, {}
