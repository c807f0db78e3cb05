"""Host logging: readable lines in a terminal, JSON lines with ``--log-format json``.

Records carry optional ``step``, ``trace_id``, ``language`` and ``fields`` (a dict)
passed through ``extra=``; both formats show them. ``fields`` come from step code, so
they never stand in for what the host vouches for: in JSON a field named like a key the
host writes (``time``, ``level``, ``msg``, ``step``, ...) goes under a nested ``fields``
object, and in text fields follow the message, never inside the ``[step] [trace]`` brackets.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_CONTEXT = ("step", "trace_id", "language", "worker")
# The keys of a JSON line that only the host writes.
RESERVED = frozenset({"time", "level", "logger", "msg", "exc", "stack", "fields", *_CONTEXT})
_PLAIN_KEY = re.compile(r"[\w.-]+")


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k in _CONTEXT if (v := getattr(record, k, None)) not in (None, "")}


class _Worker(logging.Filter):
    """Tags every record with the worker of `stephost start --workers N` that wrote it."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = self.index
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


def rfc3339(created: float) -> str:
    """UTC with milliseconds, e.g. 2026-11-30T03:20:12.123Z."""
    stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _key(name: Any) -> str:
    """A field name as text shows it: quoted unless plain, so it cannot break the line."""
    name = str(name)
    return name if _PLAIN_KEY.fullmatch(name) else json.dumps(name)


class TextFormatter(logging.Formatter):
    _COLORS = {
        "DEBUG": "\033[2m",
        "INFO": "\033[36m",
        "WARNING": "\033[33m",
        "ERROR": "\033[31m",
        "CRITICAL": "\033[31m",
    }

    def __init__(self, color: bool) -> None:
        super().__init__()
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created)) + f".{int(record.msecs):03d}"
        level = record.levelname
        if self.color:
            level = f"{self._COLORS.get(level, '')}{level:<5}\033[0m"
        else:
            level = f"{level:<5}"
        ctx = _context(record)
        worker = f"w{ctx['worker']}" if "worker" in ctx else ""
        where = " ".join(f"[{ctx[k]}]" for k in ("step", "trace_id") if k in ctx)
        # A line break in a message continues it indented: it cannot pass for a record of its own.
        message = "\n  ".join(record.getMessage().splitlines())
        extras = " ".join(f"{_key(k)}={json.dumps(v, default=str)}" for k, v in _fields(record).items())
        line = " ".join(p for p in (stamp, level, worker, where, message, extras) if p)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if getattr(record, "stack", None):
            line += "\n" + str(record.stack).rstrip()  # type: ignore[attr-defined]
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": rfc3339(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_context(record),
        }
        shadowed = {}
        for key, value in _fields(record).items():
            if key in RESERVED:
                shadowed[key] = value
            else:
                doc[key] = value
        if shadowed:
            doc["fields"] = shadowed
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        if getattr(record, "stack", None):
            doc["stack"] = record.stack  # type: ignore[attr-defined]
        return json.dumps(doc, default=str)


def setup(log_format: str = "text", level: str = "info", worker: int | None = None) -> None:
    """``worker``: this process is that worker of `stephost start --workers N`; its lines say so."""
    handler = logging.StreamHandler(sys.stderr)
    if worker is not None:
        handler.addFilter(_Worker(worker))
    color = log_format == "text" and sys.stderr.isatty()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(color))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS.get(level, logging.INFO))
    # uvicorn's access log would duplicate our one line per invocation.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("nats").setLevel(logging.WARNING)
