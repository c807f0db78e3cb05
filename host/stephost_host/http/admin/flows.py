"""Flows for the Workbench: each flow's steps (nodes) and who triggers whom (edges).

A node is a step of the active version as the step list describes it, with its live
counters; an edge goes from a step that emits (or virtually emits) a topic to each step of
the same flow that subscribes (or virtually subscribes) to it. A step in no flow is shown in
``default``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException

from stephost_host.router.registry import Registry
from stephost_host.steps.models import EventStep

DEFAULT_FLOW = "default"
Counters = Callable[[], dict[str, dict[str, Any]]]


def _subscribes(config: Any) -> tuple[set[str], set[str]]:
    real = set(config.subscribes) if isinstance(config, EventStep) else set()
    return real, set(config.virtualSubscribes)


def graph(registry: Registry, counters: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every flow's nodes and edges."""
    described = {d["name"]: d for d in registry.describe()}
    configs = {name: e.config for name, e in registry.steps.items() if name in described}
    flows: dict[str, dict[str, Any]] = {}
    for name, config in sorted(configs.items()):
        node: dict[str, Any] = {
            **described[name],
            "emits": [e.model_dump(exclude_none=True) for e in config.emits],
            "virtualEmits": [e.model_dump(exclude_none=True) for e in config.virtualEmits],
            "virtualSubscribes": list(config.virtualSubscribes),
            "counters": counters.get(name, {"invocations": 0, "errors": 0, "p50Ms": None}),
        }
        for flow_name in config.flows or [DEFAULT_FLOW]:
            empty: dict[str, Any] = {"name": flow_name, "nodes": [], "edges": []}
            flows.setdefault(flow_name, empty)["nodes"].append(node)
    for flow in flows.values():
        members = [n["name"] for n in flow["nodes"]]
        for source in members:
            config = configs[source]
            emitted = [(e, False) for e in config.emits] + [(e, True) for e in config.virtualEmits]
            for spec, virtual_emit in emitted:
                for target in members:
                    real, virtual = _subscribes(configs[target])
                    if spec.topic not in real | virtual:
                        continue
                    flow["edges"].append(
                        {
                            "source": source,
                            "target": target,
                            "topic": spec.topic,
                            "label": spec.label or spec.topic,
                            "conditional": spec.conditional,
                            "virtual": virtual_emit or spec.topic not in real,
                        }
                    )
    return flows


def router(registry: Registry, counters: Counters) -> APIRouter:
    api = APIRouter(prefix="/flows")

    @api.get("")
    async def flows() -> list[dict[str, Any]]:
        """Every flow: its name and how many steps it has."""
        found = graph(registry, {})
        return [{"name": f["name"], "steps": len(f["nodes"])} for f in sorted(found.values(), key=_name)]

    @api.get("/{flow}")
    async def flow(flow: str) -> dict[str, Any]:
        found = graph(registry, counters()).get(flow)
        if found is None:
            known = ", ".join(sorted(graph(registry, {}))) or "none"
            raise HTTPException(404, f"no flow named {flow!r} (flows: {known})")
        return found

    return api


def _name(flow: dict[str, Any]) -> str:
    return str(flow["name"])
