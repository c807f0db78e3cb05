"""Finds and imports Python step files.

A file that fails to import, or lacks ``config``/``handler``, becomes a LoadError naming
the file and the reason; the other files still load.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

STEP_DIRS = ("steps", "src")
SKIP_DIRS = {"node_modules", "__pycache__"}
STEP_FILE = re.compile(r".+(_step|\.step)\.py$")
SCHEMA_KEYS = ("bodySchema", "responseSchema", "input")


@dataclass
class LoadedStep:
    name: str
    type: str
    file: str
    config: dict[str, Any]
    config_json: str
    handler: Callable[..., Any]
    middleware: list[Callable[..., Any]] = field(default_factory=list)


@dataclass
class LoadFailure:
    file: str
    message: str
    stack: str = ""


def find_step_files(root: Path) -> list[Path]:
    """Step files under steps/ and src/, recursively, in sorted path order."""
    found: list[Path] = []
    for top in STEP_DIRS:
        base = root / top
        if base.is_dir():
            found.extend(p for p in _walk(base) if STEP_FILE.match(p.name))
    return sorted(found)


def _walk(base: Path) -> Iterator[Path]:
    for entry in sorted(base.iterdir()):
        if entry.is_dir():
            if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                yield from _walk(entry)
        elif entry.is_file():
            yield entry


def load_project(root: Path) -> tuple[list[LoadedStep], list[LoadFailure]]:
    root = root.resolve()
    if str(root) not in sys.path:
        # Project-local imports (`from lib.db import x`) resolve from the project root.
        sys.path.insert(0, str(root))
    steps: list[LoadedStep] = []
    failures: list[LoadFailure] = []
    seen: dict[str, str] = {}
    for path in find_step_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            step = _load_file(root, path, rel)
        except Exception as exc:  # any import-time failure is the file's problem, not ours
            failures.append(LoadFailure(rel, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            continue
        if step.name in seen:
            failures.append(LoadFailure(rel, f"step name {step.name!r} is already used by {seen[step.name]}"))
            continue
        seen[step.name] = rel
        steps.append(step)
    return steps, failures


def _module_name(rel: str) -> str:
    # `steps/users/create.step.py` -> `steps.users.create_step`, so relative imports
    # inside the step resolve against its folder (a namespace package).
    parts = rel[: -len(".py")].split("/")
    parts[-1] = parts[-1].replace(".", "_")
    return ".".join(re.sub(r"\W", "_", p) for p in parts)


def _import(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.parent)
    if folder not in sys.path:
        # Motia steps import sibling helpers by bare name (`import helpers`).
        sys.path.append(folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _load_file(root: Path, path: Path, rel: str) -> LoadedStep:
    module = _import(path, _module_name(rel))
    config = getattr(module, "config", None)
    handler = getattr(module, "handler", None)
    if not isinstance(config, dict):
        raise TypeError("the file must define `config` as a dict")
    name = config.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("config.name must be a non-empty string")
    step_type = config.get("type")
    if step_type != "noop" and not callable(handler):
        raise TypeError("the file must define a callable `handler`")
    middleware = config.get("middleware") or []
    if not isinstance(middleware, list) or not all(callable(m) for m in middleware):
        raise TypeError("config.middleware must be a list of functions")
    return LoadedStep(
        name=name,
        type=str(step_type),
        file=rel,
        config=config,
        config_json=manifest_json(config),
        handler=handler if callable(handler) else _noop,
        middleware=list(middleware),
    )


def _noop(*_args: Any) -> None:
    return None


def manifest_json(config: dict[str, Any]) -> str:
    """The config as the host sees it: functions dropped, pydantic models as JSON Schema."""
    plain = {k: v for k, v in config.items() if not callable(v) or isinstance(v, type)}
    plain.pop("middleware", None)
    for key in SCHEMA_KEYS:
        if key in plain:
            plain[key] = _schema(plain[key], key)
    return json.dumps(plain, default=_unserialisable)


def _schema(value: Any, key: str) -> Any:
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        return value.model_json_schema()  # a pydantic model class
    if value is None or isinstance(value, dict):
        return value
    raise TypeError(
        f"config.{key} must be a JSON Schema dict or a pydantic model, got {type(value).__name__}"
    )


def _unserialisable(value: Any) -> Any:
    raise TypeError(f"config holds a value JSON cannot represent: {value!r}")
