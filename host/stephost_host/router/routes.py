"""The route table for api steps: ``/users/:id`` style paths matched by method and path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stephost_host.steps.models import ApiStep, StepDef

if TYPE_CHECKING:
    from stephost_host.router.registry import Registry


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    step: str
    segments: tuple[str, ...]

    @property
    def specificity(self) -> tuple[int, int]:
        # Static segments beat parameters: /users/me wins over /users/:id.
        return (sum(not s.startswith(":") for s in self.segments), len(self.segments))


def split_path(path: str) -> tuple[str, ...]:
    return tuple(p for p in path.split("/") if p)


def route_key(method: str, path: str) -> tuple[str, tuple[str, ...]]:
    """What two routes must not share: the method and the path with parameter names left out
    (``/users/:id`` and ``/users/:uid`` match the same requests)."""
    return method, tuple(":" if s.startswith(":") else s for s in split_path(path))


class RouteTable:
    def __init__(self) -> None:
        self.static: dict[tuple[str, str], Route] = {}
        self.dynamic: dict[int, list[Route]] = {}  # by segment count
        self.paths: dict[tuple[str, ...], set[str]] = {}

    @classmethod
    def build(cls, registry: Registry) -> RouteTable:
        # One step per route: registration refuses a second live one, but a step whose
        # sidecars left keeps its definition, and a live step may have taken its route over.
        chosen: dict[tuple[str, tuple[str, ...]], StepDef] = {}
        for entry in sorted(registry.of_type(ApiStep), key=lambda e: (not registry.is_live(e), e.name)):
            cfg = entry.config
            assert isinstance(cfg, ApiStep)
            chosen.setdefault(route_key(cfg.method, cfg.path), entry)
        return cls.of(chosen.values())

    @classmethod
    def of(cls, entries: Iterable[StepDef]) -> RouteTable:
        """The routes of these api steps (other step types are left out)."""
        table = cls()
        for entry in entries:
            cfg = entry.config
            if isinstance(cfg, ApiStep):
                table.add(Route(cfg.method, cfg.path, entry.name, split_path(cfg.path)))
        for routes in table.dynamic.values():
            routes.sort(key=lambda r: r.specificity, reverse=True)
        return table

    def add(self, route: Route) -> None:
        if any(s.startswith(":") for s in route.segments):
            self.dynamic.setdefault(len(route.segments), []).append(route)
        else:
            self.static[(route.method, "/" + "/".join(route.segments))] = route
        self.paths.setdefault(route.segments, set()).add(route.method)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = split_path(path)
        route = self.static.get((method, "/" + "/".join(segments)))
        if route:
            return route, {}
        for candidate in self.dynamic.get(len(segments), ()):
            if candidate.method != method:
                continue
            params: dict[str, str] = {}
            for pattern, part in zip(candidate.segments, segments, strict=True):
                if pattern.startswith(":"):
                    params[pattern[1:]] = part
                elif pattern != part:
                    break
            else:
                return candidate, params
        return None

    def methods_for(self, path: str) -> set[str]:
        """Methods some route serves at this path (to tell 405 from 404)."""
        segments = split_path(path)
        out: set[str] = set()
        for pattern, methods in self.paths.items():
            if len(pattern) == len(segments) and all(
                p.startswith(":") or p == s for p, s in zip(pattern, segments, strict=True)
            ):
                out |= methods
        return out
