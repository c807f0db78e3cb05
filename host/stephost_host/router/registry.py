"""Which steps exist, and which connected sidecars serve each one.

Built from sidecar hellos. Several sidecars may serve one step (replicas) when they
load it from the same file; a second *file* claiming a registered name is rejected.
Components that care about changes (HTTP routes, queue consumers, cron) subscribe
with ``on_change``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stephost_host.steps.models import ApiStep, ConfigInvalid, CronStep, EventStep, NoopStep, parse_config
from stephost_host.streams.definitions import StreamConfigInvalid, StreamDef, parse_stream

if TYPE_CHECKING:
    from stephost_host.link.session import Session

log = logging.getLogger("stephost.registry")
StepConfig = ApiStep | EventStep | CronStep | NoopStep


@dataclass
class StepEntry:
    name: str
    file: str
    language: str
    config: StepConfig
    sessions: list[Session] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return bool(self.sessions)


@dataclass
class Rejection:
    step: str
    file: str
    reason: str


class Registry:
    def __init__(self) -> None:
        self.steps: dict[str, StepEntry] = {}
        self.streams: dict[str, StreamDef] = {}
        self.hooks: dict[str, list[Session]] = {}  # hook name -> sidecars that provide it
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    def register(
        self,
        session: Session,
        manifests: list[tuple[str, str, str]],
        streams: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    ) -> list[Rejection]:
        """manifests and streams: (name, file, config_json). Returns what was refused, with reasons."""
        rejected: list[Rejection] = self._register_streams(session, streams)
        for hook in session.hooks:
            self.hooks.setdefault(hook, []).append(session)
        for name, file, config_json in manifests:
            try:
                config = parse_config(config_json, file)
            except ConfigInvalid as exc:
                rejected.append(Rejection(name, file, str(exc)))
                continue
            entry = self.steps.get(name)
            if entry and entry.live and (entry.file != file or entry.language != session.language):
                rejected.append(
                    Rejection(
                        name,
                        file,
                        f"{file}: duplicate step name {name!r}: already registered from {entry.file} "
                        f"({entry.language})",
                    )
                )
                continue
            if entry is None or not entry.live:
                entry = self.steps[name] = StepEntry(name, file, session.language, config)
            else:
                entry.config = config  # a reloaded replica may bring a changed config
            entry.sessions.append(session)
        for r in rejected:
            log.error("rejected step %s: %s", r.step, r.reason, extra={"language": session.language})
        self._notify()
        return rejected

    def _register_streams(self, session: Session, streams: list[tuple[str, str, str]]) -> list[Rejection]:
        rejected: list[Rejection] = []
        for name, file, config_json in streams:
            try:
                definition = parse_stream(name, file, config_json, session.language)
            except StreamConfigInvalid as exc:
                rejected.append(Rejection(name, file, str(exc)))
                continue
            known = self.streams.get(name)
            if known and known.sessions and (known.file != file or known.language != session.language):
                rejected.append(
                    Rejection(
                        name,
                        file,
                        f"{file}: duplicate stream name {name!r}: already defined in {known.file} "
                        f"({known.language})",
                    )
                )
                continue
            if known and known.file == file:
                definition.sessions = known.sessions  # a replica (or a reload) of the same file
            definition.sessions.append(session)
            self.streams[name] = definition
        return rejected

    def unregister(self, session: Session) -> None:
        for entry in self.steps.values():
            if session in entry.sessions:
                entry.sessions.remove(session)
        for definition in self.streams.values():
            if session in definition.sessions:
                definition.sessions.remove(session)
        for providers in self.hooks.values():
            if session in providers:
                providers.remove(session)
        self._notify()

    def describe(self) -> list[dict[str, Any]]:
        """Every step as plain data (the HTTP step list and the ingress ListSteps both show this)."""
        out = []
        for e in sorted(self.steps.values(), key=lambda e: e.name):
            cfg = e.config
            item: dict[str, Any] = {
                "name": e.name,
                "type": cfg.type,
                "language": e.language,
                "file": e.file,
                "live": e.live,
                "sidecars": [s.sidecar_id for s in e.sessions],
                "flows": cfg.flows,
                "emits": sorted(cfg.emit_topics),
            }
            if cfg.description:
                item["description"] = cfg.description
            if isinstance(cfg, ApiStep):
                item.update(method=cfg.method, path=cfg.path)
                schemas = {"bodySchema": cfg.bodySchema, "responseSchema": cfg.responseSchema}
                item.update({k: v for k, v in schemas.items() if v is not None})
            elif isinstance(cfg, EventStep):
                item["subscribes"] = cfg.subscribes
                if cfg.input is not None:
                    item["input"] = cfg.input
            elif isinstance(cfg, CronStep):
                item["cron"] = cfg.cron
            out.append(item)
        return out

    def of_type(self, kind: type[StepConfig]) -> list[StepEntry]:
        return [e for e in self.steps.values() if isinstance(e.config, kind)]
