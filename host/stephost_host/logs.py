"""Host logging: readable lines in a terminal, JSON lines with ``--log-format json``.

Records carry optional ``step``, ``trace_id``, ``language`` and ``fields`` (a dict)
passed through ``extra=``; both formats show them.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_CONTEXT = ("step", "trace_id", "language")


def _context(record: logging.LogRecord) -> dict[str, Any]:
    out = {k: getattr(record, k) for k in _CONTEXT if getattr(record, k, None)}
    fields = getattr(record, "fields", None)
    if isinstance(fields, dict):
        out.update(fields)
    return out


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
        where = " ".join(f"[{ctx.pop(k)}]" for k in ("step", "trace_id") if k in ctx)
        ctx.pop("language", None)
        extras = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in ctx.items())
        line = " ".join(p for p in (stamp, level, where, record.getMessage(), extras) if p)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if getattr(record, "stack", None):
            line += "\n" + str(record.stack).rstrip()  # type: ignore[attr-defined]
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        doc.update(_context(record))
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        if getattr(record, "stack", None):
            doc["stack"] = record.stack  # type: ignore[attr-defined]
        return json.dumps(doc, default=str)


def setup(log_format: str = "text", level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    color = log_format == "text" and sys.stderr.isatty()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(color))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS.get(level, logging.INFO))
    # uvicorn's access log would duplicate our one line per invocation.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("nats").setLevel(logging.WARNING)
