"""Finds and imports Python step files (``*_step.py``, ``*.step.py``) and stream files.

A file that fails to import, or lacks ``config``/``handler``, becomes a LoadError naming
the file and the reason; the other files still load. Project-level hooks (stream auth)
are found by ``hooks``.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from stephost_wire.project import project_files

STEP_FILE = re.compile(r".+(_step|\.step)\.py$")
STREAM_FILE = re.compile(r".+(_stream|\.stream)\.py$")
SCHEMA_KEYS = ("bodySchema", "responseSchema", "input")
DEPS = ".deps"


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
class LoadedStream:
    name: str
    file: str
    config_json: str
    can_access: Callable[..., Any] | None = None


@dataclass
class LoadFailure:
    file: str
    message: str
    stack: str = ""


@dataclass
class Project:
    steps: list[LoadedStep] = field(default_factory=list)
    streams: list[LoadedStream] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)


def load_project(root: Path, progress: str = "") -> Project:
    """``progress``: a file to keep the path being imported in (the supervisor's
    ``STEPHOST_LOAD_PROGRESS``), so a file that hangs at import can be named."""
    root = root.resolve()
    if str(root) not in sys.path:
        # Project-local imports (`from lib.db import x`) resolve from the project root.
        sys.path.insert(0, str(root))
    deps = root / DEPS
    if deps.is_dir() and str(deps) not in sys.path:
        # A built version's vendored requirements (an agent's build installs them there).
        sys.path.insert(1, str(deps))
    project = Project()
    note = _progress_writer(progress)
    project.steps = _load_all(root, STEP_FILE, _load_step, "step", project.failures, note)
    project.streams = _load_all(root, STREAM_FILE, _load_stream, "stream", project.failures, note)
    note("")
    return project


def _progress_writer(path: str) -> Callable[[str], None]:
    def note(rel: str) -> None:
        if path:
            try:
                Path(path).write_text(rel)
            except OSError:
                pass  # only a diagnosis aid: never a reason not to load

    return note


def load_failure(rel: str, exc: BaseException) -> LoadFailure:
    """What the hello reports for a file that would not load: which file, and why."""
    return LoadFailure(rel, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def _load_all(
    root: Path,
    pattern: re.Pattern[str],
    load: Callable[[Path, str], Any],
    kind: str,
    failures: list[LoadFailure],
    note: Callable[[str], None],
) -> list[Any]:
    loaded: list[Any] = []
    seen: dict[str, str] = {}
    for path in project_files(root, pattern):
        rel = path.relative_to(root).as_posix()
        note(rel)
        try:
            item = load(path, rel)
        except Exception as exc:  # any import-time failure is the file's problem, not ours
            failures.append(load_failure(rel, exc))
            continue
        except SystemExit as exc:  # e.g. an env validator: it must not end the sidecar
            failures.append(LoadFailure(rel, _exited(exc), traceback.format_exc()))
            continue
        if item.name in seen:
            failures.append(
                LoadFailure(rel, f"{kind} name {item.name!r} is already used by {seen[item.name]}")
            )
            continue
        seen[item.name] = rel
        loaded.append(item)
    return loaded


def import_file(path: Path, rel: str) -> ModuleType:
    """Import one project file (``rel`` is its path from the project root) under a unique name."""
    return _import(path, _module_name(rel))


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


def _module_config(path: Path, rel: str) -> tuple[ModuleType, dict[str, Any], str]:
    module = import_file(path, rel)
    config = getattr(module, "config", None)
    if not isinstance(config, dict):
        raise TypeError("the file must define `config` as a dict")
    name = config.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("config.name must be a non-empty string")
    return module, config, name


def _load_stream(path: Path, rel: str) -> LoadedStream:
    module, config, name = _module_config(path, rel)
    can_access = getattr(module, "can_access", None) or config.get("canAccess")
    if can_access is not None and not callable(can_access):
        raise TypeError("can_access must be a function (subscription, auth_context) -> bool")
    plain = {k: v for k, v in config.items() if not callable(v) or isinstance(v, type)}
    if "schema" in plain:
        plain["schema"] = _schema(plain["schema"], "schema")
    if can_access:
        plain["canAccess"] = True  # the host asks this sidecar before each join
    return LoadedStream(name, rel, json.dumps(plain, default=_unserialisable), can_access)


def _load_step(path: Path, rel: str) -> LoadedStep:
    module, config, name = _module_config(path, rel)
    handler = getattr(module, "handler", None)
    step_type = config.get("type")
    if step_type != "noop" and not callable(handler):
        raise TypeError("the file must define a callable `handler`")
    if callable(handler) and step_type in SIGNATURES:
        check_signature(handler, str(step_type))
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


# What the runner passes each handler type, positionally (runner.py).
SIGNATURES = {"api": ("req", "ctx"), "event": ("input", "ctx"), "cron": ("ctx",)}


def check_signature(handler: Callable[..., Any], step_type: str) -> None:
    """A handler that cannot take what the runner passes is a load error, not a 500 per call."""
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):  # a builtin or C callable: nothing to check
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    required_kw = [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    takes_rest = any(p.kind is p.VAR_POSITIONAL for p in params)
    want = len(SIGNATURES[step_type])
    if len(required) > want or (len(positional) < want and not takes_rest) or required_kw:
        expected = f"def handler({', '.join(SIGNATURES[step_type])})"
        raise TypeError(
            f"a {step_type} step's handler takes {want} argument{'s' if want > 1 else ''}: "
            f"`{expected}` (or `async def`), but it is `def handler{inspect.signature(handler)}`"
        )


def _exited(exc: SystemExit) -> str:
    return (
        f"SystemExit: the file called sys.exit({exc.code!r}) (or exit()) while loading; "
        "raise an exception instead so the other files keep serving"
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
