"""A built version checked against the host's registration rules, and what switching to it changes.

The rules are the registry's own (duplicate names, route clashes, config checks including
cron syntax and timeouts): the version's manifests are registered into a scratch registry,
exactly as its workers' hellos will be, so a version that passes here registers cleanly.
The plan compares that scratch registry's steps with the active version's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stephost_host.router.registry import Registry, Rejection


@dataclass(frozen=True, eq=False)
class Manifests:
    """What one language's build loaded: steps and streams as (name, file, config_json)."""

    language: str
    steps: list[tuple[str, str, str]]
    streams: list[tuple[str, str, str]] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)


@dataclass(eq=False)
class _Checking:
    """Stands in for a worker's session while its manifests are checked (what register reads)."""

    language: str
    version: str
    hooks: list[str]
    sidecar_id: str = "deploy-check"


def as_manifests(
    language: str, steps: Iterable[Any], streams: Iterable[Any], hooks: Iterable[str]
) -> Manifests:
    """From a build's result (dicts or protobuf manifests alike)."""

    def get(item: Any, key: str) -> str:
        return str(item.get(key, "") if isinstance(item, Mapping) else getattr(item, key, ""))

    return Manifests(
        language,
        [(get(s, "name"), get(s, "file"), get(s, "config_json")) for s in steps],
        [(get(s, "name"), get(s, "file"), get(s, "config_json")) for s in streams],
        list(hooks),
    )


def check(version: str, languages: Iterable[Manifests]) -> tuple[Registry, list[Rejection]]:
    """Register every language's manifests of ``version`` into a new registry; the refusals."""
    scratch = Registry()
    refused: list[Rejection] = []
    for m in languages:
        session = _Checking(m.language, version, m.hooks)
        refused += scratch.register(session, m.steps, m.streams)  # type: ignore[arg-type]
    return scratch, refused


def _index(steps: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """kind -> key -> the step describing it."""
    out: dict[str, dict[str, dict[str, Any]]] = {"routes": {}, "topics": {}, "cron": {}, "steps": {}}
    for s in steps:
        out["steps"][s["name"]] = s
        if s["type"] == "api":
            out["routes"][f"{s['method']} {s['path']}"] = s
        for topic in s.get("subscribes", ()):
            out["topics"][f"{topic} -> {s['name']}"] = s
        if s["type"] == "cron":
            out["cron"][s["name"]] = s
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    ignore = {"live", "sidecars"}
    return {k: v for k, v in a.items() if k not in ignore} == {k: v for k, v in b.items() if k not in ignore}


def plan(
    current: list[dict[str, Any]],
    current_streams: Iterable[str],
    new: list[dict[str, Any]],
    new_streams: Iterable[str],
) -> dict[str, Any]:
    """Routes, topic subscriptions, cron jobs, steps and streams added / removed / changed."""
    old_i, new_i = _index(current), _index(new)
    out: dict[str, Any] = {}
    for kind in ("steps", "routes", "topics", "cron"):
        before, after = old_i[kind], new_i[kind]
        out[kind] = {
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "changed": sorted(k for k in set(before) & set(after) if not _same(before[k], after[k])),
        }
    old_s, new_s = set(current_streams), set(new_streams)
    out["streams"] = {"added": sorted(new_s - old_s), "removed": sorted(old_s - new_s), "changed": []}
    return out


def removed_subscriptions(current: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(topic, step) consumers the new version no longer has: paused (never deleted) at the switch."""
    old_i, new_i = _index(current)["topics"], _index(new)["topics"]
    return sorted((key.split(" -> ")[0], s["name"]) for key, s in old_i.items() if key not in new_i)
