"""Which languages a project uses, and how to start each language's sidecar."""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from stephost_wire.project import project_files

# The checkout this host runs from; the Node and Ruby sidecars live beside it.
REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Language:
    name: str
    step_files: re.Pattern[str]  # step and stream definition files
    watched: re.Pattern[str]  # files whose change means "reload this sidecar"
    program: tuple[str, ...]  # how to run the sidecar; `--connect ... DIR` is appended

    def command(self) -> list[str]:
        return list(self.program)


def _env_program(var: str, default: tuple[str, ...]) -> tuple[str, ...]:
    override = os.environ.get(var)
    return tuple(override.split()) if override else default


def languages() -> dict[str, Language]:
    return {
        "python": Language(
            "python",
            re.compile(r".+(_step|\.step|_stream|\.stream)\.py$"),
            re.compile(r".+\.py$"),
            _env_program("STEPHOST_PYTHON_SIDECAR", (sys.executable, "-m", "stephost_sidecar")),
        ),
        "node": Language(
            "node",
            re.compile(r".+\.(step|stream)\.(ts|js|mjs|cjs|mts|cts)$"),
            re.compile(r".+\.(ts|js|mjs|cjs|mts|cts|json)$"),
            _env_program("STEPHOST_NODE_SIDECAR", ("node", str(REPO / "sidecars/node/src/main.js"))),
        ),
        "ruby": Language(
            "ruby",
            re.compile(r".+(_step|\.step|_stream|\.stream)\.rb$"),
            re.compile(r".+\.rb$"),
            _env_program(
                "STEPHOST_RUBY_SIDECAR", ("ruby", str(REPO / "sidecars/ruby/bin/stephost-sidecar-ruby"))
            ),
        ),
    }


def detect(project: Path) -> list[Language]:
    """The languages with at least one step file under steps/ or src/."""
    files = [p.name for p in project_files(project)]
    return [lang for lang in languages().values() if any(lang.step_files.match(f) for f in files)]


def missing_runtime(lang: Language) -> str | None:
    """A message when the language's interpreter is not installed."""
    exe = lang.program[0]
    if os.path.isabs(exe) or shutil.which(exe):
        return None
    return f"{lang.name} steps found but `{exe}` is not installed; see README (setup)"
