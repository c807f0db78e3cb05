"""`stephost generate KIND`: files made from the project's steps, one module per kind."""

from __future__ import annotations

from typing import Any

from stephost_host.generate import openapi, types

# Each exposes add_parser(sub) for its kind.
GENERATORS = (openapi, types)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("generate", help="generate files from the project's steps (openapi, types)")
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND")
    for generator in GENERATORS:
        generator.add_parser(kinds)
