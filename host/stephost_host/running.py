"""Finding the host that runs a project, for the commands that talk to it (`stephost emit`,
`stephost dlq`): one way, one message, one exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stephost_host.runtime import RUNTIME_FILE
from stephost_host.state_dir import default_state_dir

# Exit codes every client command shares.
OK = 0
REFUSED = 1  # the host answered, and said no (or failed the operation)
NOT_FOUND = 2  # bad arguments, or no host to talk to


class NoRunningHost(Exception):
    """No runtime.json says how to reach the project's host."""


def running_host(project: str | Path, state_dir: Path | None, override: str) -> dict[str, Any]:
    """The project's runtime.json (written by the running host: its HTTP URL, ingress address,
    secret). ``override`` names the flag that bypasses the file (``--address``, ``--url``)."""
    runtime = (state_dir or default_state_dir(Path(project))) / RUNTIME_FILE
    hint = (
        f"start it with `stephost dev {project}`, pass --project DIR for the project whose host "
        f"runs (or --state-dir), or {override}"
    )
    if not runtime.is_file():
        raise NoRunningHost(f"no running host found for project {project} ({runtime} missing): {hint}")
    try:
        info = json.loads(runtime.read_text())
    except (OSError, ValueError) as exc:
        raise NoRunningHost(f"cannot read {runtime} ({exc}): {hint}") from None
    if not isinstance(info, dict):
        raise NoRunningHost(f"{runtime} is not a runtime file: {hint}")
    return info
