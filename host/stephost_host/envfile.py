"""The project's ``.env``: variables for the host's settings and for every sidecar.

Read with python-dotenv (quotes, ``export``, comments, ``${VAR}`` interpolation). What it
feeds is always *under* the real environment: a variable set in the process environment
wins over the same name in ``.env``. So settings resolve as CLI flags > real environment >
``.env`` > ``stephost.toml`` > defaults (config.py adds ``.env`` as its own layer, so an
error names it). ``.env.example`` and other ``.env.*`` files are never read.

The file is read again each time a sidecar starts, so a restart (``stephost dev`` restarts
the sidecars when ``.env`` changes) hands handlers the new values.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

FILE_NAME = ".env"

log = logging.getLogger("stephost.env")


class _OwnParseWarnings(logging.Filter):
    """python-dotenv's own "could not parse" warning names neither the file nor the text; ours does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "could not parse" not in record.getMessage()


logging.getLogger("dotenv.main").addFilter(_OwnParseWarnings())
_warned: set[tuple[str, int, str]] = set()  # each bad line is reported once per process


def path(project: Path) -> Path:
    return Path(project) / FILE_NAME


def read(project: Path) -> dict[str, str]:
    """The variables ``PROJECT/.env`` sets (empty when there is none); a line that does not
    parse is reported (file, line number, text) and skipped, the others still apply."""
    file = path(project)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("%s: cannot read it (%s); its variables are not set", file, exc)
        return {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            line, bad = binding.original.line, binding.original.string.strip()
            if (str(file), line, bad) not in _warned:
                _warned.add((str(file), line, bad))
                log.warning(
                    "%s line %d: cannot parse %r (expected NAME=value); line ignored", file, line, bad
                )
    # A bare `NAME` (no `=`) has no value: it sets nothing rather than an empty string.
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def merged(project: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a process for this project sees: ``.env`` under the real environment."""
    return {**read(project), **(os.environ if environ is None else environ)}


def load_into_process(project: Path) -> None:
    """Set ``.env``'s variables in this process's environment where they are not set already
    (``stephost sidecar``, which runs or execs the sidecar in this process)."""
    for key, value in read(project).items():
        os.environ.setdefault(key, value)
