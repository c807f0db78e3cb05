"""Step-config problems in our words: unknown keys with a "did you mean" and readable type errors.

The host checks every language's configs here, so a typo like ``methd`` is an error in Python,
Node and Ruby alike instead of a silent default.
"""

from __future__ import annotations

import difflib
import json
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

# Keys Motia step configs carry that stephost reads nothing from: accepted and ignored, so a
# Motia project loads unchanged. Listed in README ("Step config keys").
MOTIA_IGNORED_KEYS = frozenset({"middleware"})

# What each pydantic type error expected, as a person would say it.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def unknown_keys(raw: dict[str, Any], model: type[BaseModel], prefix: str = "") -> list[str]:
    """One problem per key the model does not know, nested objects included."""
    fields = model.model_fields
    known = {**{f.alias: name for name, f in fields.items() if f.alias}, **{n: n for n in fields}}
    problems = []
    for key, value in raw.items():
        if key in known:
            problems += _nested(value, fields[known[key]].annotation, f"{prefix}{key}.")
        elif not (prefix == "" and key in MOTIA_IGNORED_KEYS):
            problems.append(f"unknown key {prefix + key!r}{_suggest(key, list(known))}")
    return problems


def _nested(value: Any, annotation: Any, prefix: str) -> list[str]:
    """Recurse into a field that holds one of our lenient models, or a list of them."""
    for kind in (annotation, *typing.get_args(annotation)):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            # Strict models (cors) are walked too, so their typos get a suggestion as well.
            return unknown_keys(value, kind, prefix) if isinstance(value, dict) else []
        if typing.get_origin(kind) is list and isinstance(value, list):
            found: list[str] = []
            for i, item in enumerate(value):
                found += _nested(item, typing.get_args(kind)[0], f"{prefix[:-1]}.{i}.")
            return found
    return []


def _suggest(key: str, known: list[str]) -> str:
    lowered = {k.lower(): k for k in known}
    if key.lower() in lowered:  # bodyschema -> bodySchema
        return f" (did you mean {lowered[key.lower()]!r}?)"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f": remove it (this place takes {', '.join(sorted(known))})"


def describe(err: ErrorDetails, field: str, value: Any) -> str | None:
    """One validation error as a sentence naming the field and the value given; None when
    unknown_keys already reported it."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        return None
    got = json.dumps(value)
    if kind == "missing":
        return f"field {field!r} is required"
    if kind in _EXPECTED:
        return f"field {field!r} must be {_EXPECTED[kind]}, got {got}"
    if kind == "literal_error":
        return f"field {field!r} must be {ctx.get('expected')}, got {got}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return f"field 'type' must be one of 'api', 'event', 'cron', 'noop', got {json.dumps(ctx.get('tag'))}"
    message = err["msg"].removeprefix("Value error, ")
    return f"field {field!r} = {got}: {message}"
