"""The deployment APIs users already call (Motia, the phased deploys API, Mist), each a view of
the one deployment record (``deployments/``); ``surfaces.py`` mounts them (docs/deployment-apis.md)."""

from __future__ import annotations

from collections.abc import Iterable

SURFACES = ("motia", "phased", "mist")


def check_surfaces(names: Iterable[str]) -> tuple[str, ...]:
    """The ``deploy_apis`` setting: ValueError names an unknown API."""
    chosen = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in chosen if n not in SURFACES]
    if unknown:
        raise ValueError(f"deploy_apis: unknown API {unknown[0]!r}; expected some of {', '.join(SURFACES)}")
    return chosen
