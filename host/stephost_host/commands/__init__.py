"""CLI commands beyond the serving ones (dev, start, sidecar, emit), one module each.

Each module exposes ``add_parser(sub)``, which adds its sub-command and sets ``func`` (the
handler, returning the exit code) as the parser default; ``cli.build_parser`` registers every
module listed in ``COMMANDS``.
"""

from __future__ import annotations

from types import ModuleType

from stephost_host.commands import create, deploy, deploys, generate, install

COMMANDS: tuple[ModuleType, ...] = (create, generate, install, deploy, deploys)
