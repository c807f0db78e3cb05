"""A project's step definitions, loaded by the real sidecars without a running host.

A brief host starts on the project (embedded NATS in a temporary folder, free loopback
ports, no ingress, no reload), waits, as every start does, until each language's sidecar
has loaded its step files and said hello, and stops again. So generated files see exactly
the configs `stephost dev` would serve: one loader per language, no second one here.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI builds its parser from these modules: nothing heavy at import
    from stephost_host.config import Settings
    from stephost_host.router.registry import LoadFailure
    from stephost_host.steps.models import StepDef

log = logging.getLogger("stephost.generate")


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    steps: list[StepDef]  # by name
    load_errors: list[LoadFailure]


def load_project(project: Path | str) -> Loaded:
    """The project's steps as its sidecars load them, and the files they could not load."""
    import asyncio

    return asyncio.run(_load(project))


async def _load(project: Path | str) -> Loaded:
    from stephost_host.app import Host  # the whole host: imported only when a command needs it
    from stephost_host.config import load_settings

    with tempfile.TemporaryDirectory(prefix="stephost-generate-") as tmp:
        settings = load_settings(project, **_brief(Path(tmp)))
        host = Host(settings)
        await host.start()
        try:
            steps = sorted(host.registry.steps.values(), key=lambda s: s.name)
            errors = host.registry.load_errors()
        finally:
            await host.stop()
    return Loaded(settings, steps, errors)


def _brief(state_dir: Path) -> dict[str, Any]:
    """What a generating host overrides: nothing of the project's real deployment is touched."""
    return {
        "host": "127.0.0.1",
        "port": 0,
        "sidecar_host": "127.0.0.1",
        "sidecar_port": 0,
        "secret": "",
        "nats_url": "",  # embedded, in the temporary state dir
        "replicas": 1,  # one embedded server, whatever the project's cluster uses
        "state_dir": state_dir,
        "reload": False,
        "supervise": True,
        "ingress": False,
        "drain_seconds": 0.0,
    }


def add_project_args(p: Any) -> None:
    """The project a generate command works on, as an argument or as --project."""
    p.add_argument("project", nargs="?", default=None, help="the project directory (default .)")
    p.add_argument("--project", dest="project_flag", help="the project directory (same as the argument)")


def project_of(args: Any) -> Path:
    """The project a generate command works on: its argument, or --project, or the current folder."""
    return Path(getattr(args, "project_flag", None) or getattr(args, "project", None) or ".")


def report(loaded: Loaded) -> bool:
    """Say which step files did not load (a generated file would silently lack their steps)."""
    for failure in loaded.load_errors:
        print(
            f"stephost: {failure.file} ({failure.language}) did not load: {failure.message}", file=sys.stderr
        )
    if loaded.load_errors:
        print("stephost: nothing written; fix the files above and run it again", file=sys.stderr)
    return not loaded.load_errors
