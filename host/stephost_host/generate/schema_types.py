"""JSON Schema as a type, written in TypeScript or as Python type hints.

A schema is read once into a small tree (``read``) that both languages render, so the two
agree on what a schema means: ``$ref``s inside the schema resolve (a cycle becomes "any"),
``anyOf``/``oneOf`` are unions, ``allOf`` an intersection, ``enum``/``const`` literals, an
object's ``required`` keys are required and the rest optional, and an object whose
``additionalProperties`` is a schema takes any further key of that type. What JSON Schema
says that a type cannot (``minimum``, ``pattern``, ...) is left to validation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 32  # deeper schemas are "any" beyond it


@dataclass(frozen=True)
class Type:
    """One node: ``kind`` is any, string, integer, number, boolean, null, literal, array,
    object, union or all (an intersection)."""

    kind: str
    value: Any = None  # literal
    items: tuple[Type, ...] = ()  # array: (item,); union/all: the parts
    fields: tuple[tuple[str, Type, bool], ...] = ()  # object: (key, type, required)
    extra: Type | None = None  # object: the type of any other key


ANY = Type("any")
_PRIMITIVE = ("string", "integer", "number", "boolean", "null")


def read(schema: Any, root: Any = None, depth: int = 0, seen: frozenset[str] = frozenset()) -> Type:
    """The type of values ``schema`` describes (``root``: the document its ``$ref``s point into)."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return ANY
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen or not ref.startswith("#"):
            return ANY
        return read(_pointer(root, ref), root, depth + 1, seen | {ref})

    def sub(s: Any) -> Type:
        return read(s, root, depth + 1, seen)

    if "const" in schema:
        return Type("literal", schema["const"])
    if isinstance(schema.get("enum"), list):
        return _union([Type("literal", v) for v in schema["enum"]])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return _union([sub(s) for s in schema[key]])
    if isinstance(schema.get("allOf"), list):
        parts = [sub(s) for s in schema["allOf"]]
        return parts[0] if len(parts) == 1 else Type("all", items=tuple(parts))
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return _union([sub({**schema, "type": k}) for k in kinds])
    if kinds == "object" or (kinds is None and "properties" in schema):
        return _object(schema, sub)
    if kinds == "array":
        items = schema.get("items", schema.get("prefixItems"))
        if isinstance(items, list):  # a tuple: any of its item types
            return Type("array", items=(_union([sub(s) for s in items]),))
        return Type("array", items=(sub(items) if isinstance(items, dict) else ANY,))
    if kinds in _PRIMITIVE:
        return Type(kinds)
    return ANY


def _object(schema: dict[str, Any], sub: Any) -> Type:
    found = schema.get("properties")
    props: dict[str, Any] = found if isinstance(found, dict) else {}
    required = set(schema.get("required") or ())
    fields = tuple((str(k), sub(v), k in required) for k, v in props.items())
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return Type("object", fields=fields, extra=sub(extra))
    if not fields and extra is not False:
        return Type("object", extra=ANY)  # an object with any keys
    return Type("object", fields=fields)


def _union(parts: list[Type]) -> Type:
    unique = list(dict.fromkeys(parts))
    if ANY in unique:
        return ANY
    return unique[0] if len(unique) == 1 else Type("union", items=tuple(unique))


def _pointer(root: Any, ref: str) -> Any:
    node = root
    for part in ref.lstrip("#").split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# -- TypeScript -----------------------------------------------------------------------------


def typescript(t: Type, indent: str = "") -> str:
    """The type as a TypeScript type expression."""
    if t.kind == "any":
        return "any"
    if t.kind in ("string", "boolean", "null"):
        return t.kind
    if t.kind in ("integer", "number"):
        return "number"
    if t.kind == "literal":
        return json.dumps(t.value, ensure_ascii=False)
    if t.kind == "array":
        return f"Array<{typescript(t.items[0], indent)}>"
    if t.kind in ("union", "all"):
        joined = (" | " if t.kind == "union" else " & ").join(typescript(p, indent) for p in t.items)
        return f"({joined})"
    inner = indent + "  "
    lines = [
        f"{inner}{json.dumps(k, ensure_ascii=False)}{'' if req else '?'}: {typescript(v, inner)}"
        for k, v, req in t.fields
    ]
    if t.extra is not None:
        lines.append(f"{inner}[key: string]: {'any' if t.extra == ANY else typescript(t.extra, inner)}")
    return "{\n" + "\n".join(lines) + f"\n{indent}}}" if lines else "{}"


# -- Python -----------------------------------------------------------------------------------


@dataclass
class PythonTypes:
    """TypedDicts for named schemas; ``definitions`` are the lines to write, nested ones first."""

    definitions: list[str] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)

    def define(self, name: str, t: Type) -> str:
        """Define ``name`` for this type when it is an object (else an alias); returns the name."""
        name = self._unique(name)
        if t.kind == "object" and t.fields:
            self._typed_dict(name, t)
        else:
            self.definitions.append(f"{name} = {self.hint(t, name)}")
        return name

    def hint(self, t: Type, context: str) -> str:
        """The type as a Python type expression; objects with keys become TypedDicts."""
        if t.kind == "any":
            return "Any"
        simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
        if t.kind in simple:
            return simple[t.kind]
        if t.kind == "literal":
            return "None" if t.value is None else f"Literal[{t.value!r}]"
        if t.kind == "array":
            return f"list[{self.hint(t.items[0], context + 'Item')}]"
        if t.kind == "union":
            return " | ".join(dict.fromkeys(self.hint(p, f"{context}{i}") for i, p in enumerate(t.items)))
        if t.kind == "all":
            merged = _merged(t.items)
            return self.hint(merged, context) if merged is not None else "Any"
        if not t.fields:
            return f"dict[str, {self.hint(t.extra, context) if t.extra else 'Any'}]"
        return self._typed_dict(self._unique(context), t)

    def _typed_dict(self, name: str, t: Type) -> str:
        items = []
        for key, value, required in t.fields:
            hint = self.hint(value, name + _camel(key))
            items.append(f"{key!r}: {hint if required else f'NotRequired[{hint}]'}")
        self.definitions.append(f"{name} = TypedDict({name!r}, {{{', '.join(items)}}})")
        return name

    def _unique(self, name: str) -> str:
        found, n = name, 2
        while found in self._names:
            found, n = f"{name}{n}", n + 1
        self._names.add(found)
        return found


def _merged(parts: tuple[Type, ...]) -> Type | None:
    """allOf of objects: one object with every part's keys (Python has no intersection type)."""
    if not all(p.kind == "object" for p in parts):
        return None
    return Type("object", fields=tuple(f for p in parts for f in p.fields))


def _camel(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", text) if w)


def type_name(step: str, suffix: str) -> str:
    """``create-order`` + ``Body`` -> ``CreateOrderBody`` (a valid identifier in both languages)."""
    name = _camel(step) + suffix
    return name if name[:1].isalpha() else f"Step{name}"
