"""Project-level hooks: functions the host calls instead of a step handler.

- ``stream_authenticate``: ``authenticate(request)`` from a ``stream_auth.py`` (project
  root, ``steps/`` or ``src/``); returns the client's auth context, or None to refuse it.
- ``stream_can_access``: a stream file's ``can_access(subscription, auth_context)`` (or
  ``config["canAccess"]``), asked before each join to that stream.

Finding them, naming them in the hello and running them all happen here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from stephost_sidecar.loader import Project, import_file, load_failure
from stephost_wire.project import STEP_DIRS

AUTH_FILE = "stream_auth.py"
AUTHENTICATE = "stream_authenticate"
CAN_ACCESS = "stream_can_access"

# Runs one user function, async or plain (the runner's way of calling user code).
Call = Callable[..., Awaitable[Any]]


class Hooks:
    def __init__(
        self,
        authenticate: Callable[..., Any] | None = None,
        can_access: dict[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.authenticate = authenticate
        self.can_access = can_access or {}

    def names(self) -> list[str]:
        """The project-level hooks the hello announces.

        Per-stream access checks are announced in each stream's manifest ("canAccess": true).
        """
        return [AUTHENTICATE] if self.authenticate else []

    async def run(self, hook: str, target: str, payload: Any, call: Call) -> Any:
        """Run the hook the host asked for; ``target`` is the stream name for access checks."""
        if hook == AUTHENTICATE and self.authenticate:
            return await call(self.authenticate, payload)
        check = self.can_access.get(target)
        if hook == CAN_ACCESS and check:
            # Only a real True lets a client in: a truthy mistake must not open a stream.
            return (await call(check, payload["subscription"], payload.get("authContext"))) is True
        raise LookupError(f"this sidecar has no {hook} hook for {target!r}")


def load_hooks(root: Path, project: Project) -> Hooks:
    """The project's hooks; a broken ``stream_auth.py`` joins the project's load failures."""
    hooks = Hooks(can_access={s.name: s.can_access for s in project.streams if s.can_access})
    root = root.resolve()
    for folder in (root, *(root / d for d in STEP_DIRS)):
        path = folder / AUTH_FILE
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        try:
            authenticate = getattr(import_file(path, rel), "authenticate", None)
            if not callable(authenticate):
                raise TypeError("the file must define `authenticate(request)` returning a context or None")
        except Exception as exc:
            project.failures.append(load_failure(rel, exc))
        else:
            hooks.authenticate = authenticate
        break  # the first stream_auth.py found is the project's, broken or not
    return hooks
