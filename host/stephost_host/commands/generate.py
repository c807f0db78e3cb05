"""``stephost generate <what>``: wires one sub-parser per module listed in ``GENERATORS``.

Each module (``stephost_host/generate/<what>.py``) exposes ``add_parser(sub)``, which adds its
sub-command and sets ``func``; adding a generator is one import and one entry here.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from stephost_host.generate import openapi, step, types

GENERATORS: tuple[ModuleType, ...] = (step, openapi, types)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("generate", help="write files into a project: a new step, an OpenAPI spec, types")
    what = p.add_subparsers(dest="generate", required=True, metavar="WHAT")
    for generator in GENERATORS:
        generator.add_parser(what)
