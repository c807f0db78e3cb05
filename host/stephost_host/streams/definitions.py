"""Stream definitions (``*.stream.ts``, ``*_stream.py``, ``*.stream.rb``), as sidecars report them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import SchemaError, validators

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
        errors = sorted(self.validator.iter_errors(item), key=lambda e: list(e.path))
        if errors:
            err = errors[0]
            where = "/".join(str(p) for p in err.path) or "(the item)"
            problem = f"item for stream {self.name!r} does not match its schema at {where}: {err.message}"
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
        if not isinstance(schema, dict):
            raise StreamConfigInvalid(f"{file}: stream {name!r}: field 'schema' must be a JSON Schema object")
        try:
            cls = validators.validator_for(schema)
            cls.check_schema(schema)
            validator = cls(schema)
        except SchemaError as exc:
            raise StreamConfigInvalid(
                f"{file}: stream {name!r}: field 'schema' is not valid JSON Schema: {exc.message}"
            ) from None
    return StreamDef(name, file, language, version, config, validator)
