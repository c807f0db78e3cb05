"""JSON Schema for step data: api bodies (``bodySchema``), event data (``input``), stream items.

One rule for all of them: a schema is compiled once (its dialect from ``$schema``, else
2020-12, else draft-07, which is what the Node sidecar converts zod to), and a value that
does not match is reported by its first mismatch in path order, as a JSON path
(``$.items[0].qty``) and the reason jsonschema gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, SchemaError, validators
from jsonschema.protocols import Validator


class SchemaInvalid(ValueError):
    """The schema itself is not JSON Schema; the message says why."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """Where a value leaves its schema (``parts``: keys and indexes from the root) and why."""

    parts: tuple[str | int, ...]
    reason: str

    @property
    def json_path(self) -> str:
        return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.parts)

    def __str__(self) -> str:
        return f"at {self.json_path}: {self.reason}"


def compile_schema(schema: Any) -> Validator:
    """A validator for this schema; SchemaInvalid when it is not a JSON Schema object."""
    if not isinstance(schema, dict):
        raise SchemaInvalid("must be a JSON Schema object")
    cls = validators.validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        # Without "$schema" a draft-07 schema (zod's conversion: tuple "items" lists) is
        # not a 2020-12 one; accept it as what it is.
        if "$schema" in schema or not _valid(Draft7Validator, schema):
            raise SchemaInvalid(f"is not valid JSON Schema: {exc.message}") from None
        cls = Draft7Validator
    return cls(schema)


def _valid(cls: Any, schema: dict[str, Any]) -> bool:
    try:
        cls.check_schema(schema)
    except SchemaError:
        return False
    return True


def mismatch(validator: Validator, value: Any) -> Mismatch | None:
    """The first place (in path order) where ``value`` leaves the schema, or None."""
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return None
    first = errors[0]
    return Mismatch(tuple(first.absolute_path), first.message)
