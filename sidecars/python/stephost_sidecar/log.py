"""The sidecar's own log lines (lifecycle, load errors, reconnects), on stderr.

The host's supervisor mirrors them into its log and reads each line's level: text lines
start with the level word, JSON lines carry ``level``. Handlers' ``ctx.logger`` records do
not come here; they travel to the host as LogRecords.

Settings, the same in every sidecar: ``STEPHOST_LOG_LEVEL`` (debug|info|warn|error,
default info) and ``STEPHOST_LOG_FORMAT`` (text|json, default text).
``STEPHOST_SIDECAR_LOG_LEVEL`` is the deprecated spelling of the level.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
FORMATS = ("text", "json")
DEPRECATED_LEVEL = "STEPHOST_SIDECAR_LOG_LEVEL"
_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error"}


@dataclass
class LogSettings:
    level: str = "info"
    format: str = "text"
    # Problems found while reading the settings; logged once logging is set up.
    warnings: list[str] = field(default_factory=list)


class BadSetting(ValueError):
    """A log setting with a value no sidecar accepts (every sidecar exits 2 on it, alike)."""


def settings_from_env(env: Mapping[str, str]) -> LogSettings:
    """Read the log settings; a bad value raises BadSetting naming the variable and the value."""
    out = LogSettings()
    level_key = "STEPHOST_LOG_LEVEL"
    if not env.get(level_key) and env.get(DEPRECATED_LEVEL):
        level_key = DEPRECATED_LEVEL
        out.warnings.append(f"{DEPRECATED_LEVEL} is deprecated; use STEPHOST_LOG_LEVEL")
    level = env.get(level_key, "").strip().lower() or "info"
    level = "warn" if level == "warning" else level  # the old variable took Python's names
    if level in LEVELS:
        out.level = level
    else:
        raise BadSetting(f"{level_key}={env[level_key]!r} is not one of {', '.join(LEVELS)}")
    fmt = env.get("STEPHOST_LOG_FORMAT", "").strip().lower() or "text"
    if fmt in FORMATS:
        out.format = fmt
    else:
        raise BadSetting(f"STEPHOST_LOG_FORMAT={env['STEPHOST_LOG_FORMAT']!r} is not one of text, json")
    return out


def level_name(record: logging.LogRecord) -> str:
    return _NAMES.get(record.levelno, "error" if record.levelno > logging.ERROR else "debug")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """Structured fields a call passed as ``extra={"fields": {...}}``."""
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class TextFormatter(logging.Formatter):
    """``LEVEL message key=value ...``: the supervisor reads the first word as the level."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [level_name(record).upper(), record.getMessage()]
        parts += [f"{k}={_text_value(v)}" for k, v in _fields(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(text) if any(c in text for c in ' ="\n') else text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (RFC 3339, UTC), level, msg, then the fields (as every sidecar)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": level_name(record),
            "msg": record.getMessage(),
        }
        for key, value in _fields(record).items():
            doc.setdefault(key, value)  # a field never hides the record's own keys
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def setup(settings: LogSettings, stream: TextIO | None = None) -> None:
    """Route every ``logging`` record of this process to one stderr handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[settings.level])
    for warning in settings.warnings:
        logging.getLogger("stephost.sidecar").warning(warning)
