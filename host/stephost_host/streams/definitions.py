"""Stream definitions (``*.stream.ts``, ``*_stream.py``, ``*.stream.rb``), as sidecars report them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from stephost_host.steps.schemas import SchemaInvalid, compile_schema, mismatch

log = logging.getLogger("stephost.streams")

# What a write does with an item outside its stream's schema (setting ``stream_schema``):
# Motia uses stream schemas for types only and stores such items, so "warn" is the default.
SchemaMode = Literal["warn", "reject"]


class StreamConfigInvalid(ValueError):
    pass


class ItemInvalid(ValueError):
    error_type = "InvalidArgument"


@dataclass(frozen=True)
class StreamDef:
    """One stream as a version of the project defines it. Who serves it is the router's business."""

    name: str
    file: str
    language: str
    version: str
    config: dict[str, Any]
    validator: Any = None

    @property
    def can_access(self) -> bool:
        """The definition has an access check (``canAccess``) its sidecar runs for each join."""
        return bool(self.config.get("canAccess"))

    def check(self, item: Any, mode: SchemaMode = "reject") -> None:
        """Raises ItemInvalid for an item outside the schema, or in ``warn`` mode logs why."""
        if self.validator is None:
            return
        found = mismatch(self.validator, item)
        if found is not None:
            where = "/".join(str(p) for p in found.parts) or "(the item)"
            problem = f"item for stream {self.name!r} does not match its schema at {where}: {found.reason}"
            if mode == "reject":
                raise ItemInvalid(problem)
            log.warning("%s (stored anyway: stream_schema = warn; set it to reject to refuse)", problem)


def parse_stream(name: str, file: str, config_json: str, language: str, version: str) -> StreamDef:
    try:
        config = json.loads(config_json)
    except ValueError as exc:
        raise StreamConfigInvalid(f"{file}: stream config is not valid JSON ({exc})") from None
    if not isinstance(config, dict) or not name or config.get("name") != name:
        raise StreamConfigInvalid(f"{file}: a stream config needs a non-empty 'name'")
    schema = config.get("schema")
    validator = None
    if schema is not None:
        try:
            validator = compile_schema(schema)
        except SchemaInvalid as exc:
            raise StreamConfigInvalid(f"{file}: stream {name!r}: field 'schema' {exc}") from None
    return StreamDef(name, file, language, version, config, validator)
