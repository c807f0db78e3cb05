"""Which languages a project uses, and how to start each language's sidecar."""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from stephost_host.supervisor import runtimes
from stephost_wire.project import project_files


@dataclass(frozen=True)
class Language:
    name: str
    step_files: re.Pattern[str]  # step and stream definition files
    watched: re.Pattern[str]  # files whose change means "reload this sidecar"
    program: tuple[str, ...]  # how to run the sidecar; `--connect ... DIR` is appended
    own_copy: bool = False  # runs the host's copy of the sidecar (see runtimes.py), not an override

    def command(self) -> list[str]:
        return list(self.program)


def _override(language: str) -> str:
    return os.environ.get(f"STEPHOST_{language.upper()}_SIDECAR", "")


def overridden(language: str) -> bool:
    """STEPHOST_<LANGUAGE>_SIDECAR replaces the whole command that starts the sidecar."""
    return bool(_override(language))


def _program(language: str, interpreter: str) -> tuple[tuple[str, ...], bool]:
    """STEPHOST_<LANGUAGE>_SIDECAR (a whole command) or the host's own copy of the sidecar."""
    if overridden(language):
        return tuple(_override(language).split()), False
    return (interpreter, str(runtimes.entry(language))), True


def languages() -> dict[str, Language]:
    node, node_own = _program("node", "node")
    ruby, ruby_own = _program("ruby", "ruby")
    python = _override("python")
    return {
        "python": Language(
            "python",
            re.compile(r".+(_step|\.step|_stream|\.stream)\.py$"),
            re.compile(r".+\.py$"),
            # (project_deps.py swaps the interpreter for the project's venv when it has one)
            tuple(python.split()) if python else (sys.executable, "-m", "stephost_sidecar"),
        ),
        "node": Language(
            "node",
            re.compile(r".+\.(step|stream)\.(ts|js|mjs|cjs|mts|cts)$"),
            re.compile(r".+\.(ts|js|mjs|cjs|mts|cts|json)$"),
            node,
            node_own,
        ),
        "ruby": Language(
            "ruby",
            re.compile(r".+(_step|\.step|_stream|\.stream)\.rb$"),
            re.compile(r".+\.rb$"),
            ruby,
            ruby_own,
        ),
    }


def detect(project: Path) -> list[Language]:
    """The languages with at least one step file under steps/ or src/."""
    files = [p.name for p in project_files(project)]
    return [lang for lang in languages().values() if any(lang.step_files.match(f) for f in files)]


def missing_runtime(lang: Language) -> str | None:
    """A message saying what to install when the language's sidecar cannot start here."""
    exe = lang.program[0]
    if not (os.path.isabs(exe) or shutil.which(exe)):
        return f"{lang.name} steps found but `{exe}` is not installed; see README (setup)"
    return runtimes.problem(lang.name) if lang.own_copy else None
