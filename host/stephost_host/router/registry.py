"""Which steps, streams and hooks each version defines, who serves them, which version is active.

Built from sidecar hellos; every registration belongs to the version its hello names (empty:
``fs``, the project directory). Within one version several sidecars may serve one step
(replicas) when they load it from the same file with the same config; a second *file*
claiming a live name, a replica bringing another config, and an api step whose method and
path a live step of another file serves already are refused. A step's config changes only
by a reload (a sidecar the host's own supervisor restarted) or a deployment (another
version), never because a connection said so, not even once every sidecar serving it left. Versions do not meet: two versions may define one step
differently, side by side, and only the active version is routed.

The definitions are plain models; the live sessions serving them are a separate table
(``Serving``), so a definition outlives its sidecars. The read API (``steps``, ``streams``,
``hooks``, ``of_type``, ``describe``) shows the active version. Components that care about
changes (HTTP routes, queue consumers, cron) subscribe with ``on_change``; an activation is
a change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stephost_host.router.routes import route_key
from stephost_host.router.sessions import Serving
from stephost_host.router.versions import FS, ActiveView, version_of
from stephost_host.steps.models import (
    AnyStep,
    ApiStep,
    BaseStep,
    ConfigInvalid,
    CronStep,
    EventStep,
    StepDef,
    parse_config,
)
from stephost_host.streams.definitions import StreamConfigInvalid, StreamDef, parse_stream

if TYPE_CHECKING:
    from stephost_host.link.session import Session

log = logging.getLogger("stephost.registry")


@dataclass
class Rejection:
    step: str
    file: str
    reason: str


@dataclass(frozen=True)
class LoadFailure:
    """A step file a sidecar could not load (from its hello)."""

    file: str
    language: str
    message: str

    def describe(self) -> dict[str, str]:
        return {"file": self.file, "language": self.language, "message": self.message}


class Registry:
    def __init__(self) -> None:
        # version -> name -> definition
        self._steps: dict[str, dict[str, StepDef]] = {}
        self._streams: dict[str, dict[str, StreamDef]] = {}
        self._hooks: dict[str, set[str]] = {}  # version -> hooks its sidecars declared
        # version -> language -> the files its latest hello could not load
        self._load_errors: dict[str, dict[str, list[LoadFailure]]] = {}
        # version -> name -> the last definition of a step whose file no longer loads
        self._unloaded: dict[str, dict[str, StepDef]] = {}
        self._active = FS
        self._listeners: list[Callable[[], None]] = []
        self.serving = Serving()
        # Views that follow the active version (the stream store keeps a reference).
        self.steps: Mapping[str, StepDef] = ActiveView(self._steps, lambda: self._active)
        self.streams: Mapping[str, StreamDef] = ActiveView(self._streams, lambda: self._active)

    # -- versions ------------------------------------------------------------

    @property
    def active(self) -> str:
        return self._active

    def activate(self, version: str) -> bool:
        """Route to this version from now on; False when it already was the active one.

        One assignment switches every lookup at once; listeners then rebuild what they
        derive (routes, consumers, cron jobs). Calls already admitted finish where they began.
        """
        version = version_of(version)
        if version == self._active:
            return False
        previous, self._active = self._active, version
        log.info("active version is now %s (was %s)", version, previous)
        self._notify()
        return True

    def versions(self) -> list[str]:
        """Every version something registered for, live or not."""
        return sorted({*self._steps, *self._streams, *self._hooks})

    # -- changes -------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    # -- registration --------------------------------------------------------

    def register(
        self,
        session: Session,
        manifests: list[tuple[str, str, str]],
        streams: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
        *,
        reload: bool = False,
        load_errors: Sequence[tuple[str, str]] = (),
    ) -> list[Rejection]:
        """manifests and streams: (name, file, config_json), in the session's version.
        ``reload``: the session is a sidecar the host's supervisor (re)started, which may bring
        changed configs. ``load_errors``: (file, message) for each file it could not load.
        Returns what was refused, with reasons."""
        version = session.version
        self._record_load_errors(session, load_errors)
        rejected = self._register_streams(session, version, streams, reload)
        for hook in session.hooks:
            self._hooks.setdefault(version, set()).add(hook)
            self.serving.add("hook", version, hook, session)
        steps = self._steps.setdefault(version, {})
        for name, file, config_json in manifests:
            try:
                config = parse_config(config_json, file)
            except ConfigInvalid as exc:
                rejected.append(Rejection(name, file, str(exc)))
                continue
            known = steps.get(name)
            if known and self.is_live(known):
                if (known.file, known.language) != (file, session.language):
                    rejected.append(
                        Rejection(
                            name,
                            file,
                            f"{file}: duplicate step name {name!r}: already registered from {known.file} "
                            f"({known.language})",
                        )
                    )
                    continue
            if known and not reload:
                # Changing a registered step is a reload or a deployment, never a side effect
                # of a connection: not even once every sidecar serving it is gone.
                changed = changed_fields(
                    {"file": known.file, "language": known.language, **known.config.model_dump(mode="json")},
                    {"file": file, "language": session.language, **config.model_dump(mode="json")},
                )
                if changed:
                    rejected.append(Rejection(name, file, _replica_differs(file, name, changed)))
                    continue
            clash = self._route_clash(version, name, file, session.language, config)
            if clash:
                rejected.append(Rejection(name, file, clash))
                continue
            # New, taken over from a file no sidecar serves any more, a replica, or a reload.
            steps[name] = StepDef(name, file, session.language, version, config)
            self._unloaded.get(version, {}).pop(name, None)
            self.serving.add("step", version, name, session)
        if reload:
            self._drop_missing(session, {m[0] for m in manifests}, {m[0] for m in streams})
        for r in rejected:
            log.error("rejected step %s: %s", r.step, r.reason, extra={"language": session.language})
        self._notify()
        return rejected

    def _route_clash(self, version: str, name: str, file: str, language: str, config: AnyStep) -> str:
        """Why an api step may not have its route: a live step of another file serves it."""
        if not isinstance(config, ApiStep):
            return ""
        key = route_key(config.method, config.path)
        for other in self._steps.get(version, {}).values():
            if (
                other.name != name
                and (other.file, other.language) != (file, language)  # a step renamed in its file
                and isinstance(other.config, ApiStep)
                and route_key(other.config.method, other.config.path) == key
                and self.is_live(other)
            ):
                also = "" if other.config.path == config.path else f" as {other.config.path}"
                return (
                    f"{file}: {config.method} {config.path} is already served by step {other.name!r} "
                    f"from {other.file}{also}: give one of them another path or method"
                )
        return ""

    def _register_streams(
        self, session: Session, version: str, manifests: list[tuple[str, str, str]], reload: bool
    ) -> list[Rejection]:
        rejected: list[Rejection] = []
        streams = self._streams.setdefault(version, {})
        for name, file, config_json in manifests:
            try:
                definition = parse_stream(name, file, config_json, session.language, version)
            except StreamConfigInvalid as exc:
                rejected.append(Rejection(name, file, str(exc)))
                continue
            known = streams.get(name)
            live = bool(known and self.serving.of("stream", version, name))
            if known and live and (known.file, known.language) != (file, session.language):
                rejected.append(
                    Rejection(
                        name,
                        file,
                        f"{file}: duplicate stream name {name!r}: already defined in {known.file} "
                        f"({known.language})",
                    )
                )
                continue
            changed = changed_fields(known.config, definition.config) if known else []
            if changed and not reload:
                rejected.append(Rejection(name, file, _replica_differs(file, name, changed, "stream")))
                continue
            streams[name] = definition
            self.serving.add("stream", version, name, session)
        return rejected

    def _drop_missing(self, session: Session, steps: Set[str], streams: Set[str]) -> None:
        """A reload replaces what its language defined in this version: a step or stream the
        restarted sidecar no longer brings (its file was deleted, or no longer loads) is gone,
        so its route answers 404, its cron stops and its consumer closes. Other languages and
        versions keep theirs."""
        version, language = session.version, session.language
        defined = self._steps.get(version, {})
        for name in [n for n, e in defined.items() if e.language == language and n not in steps]:
            log.info("step %s (%s) is gone after the reload", name, defined[name].file)
            if defined[name].file in self._failing(version, language):
                self._unloaded.setdefault(version, {})[name] = defined[name]
            del defined[name]
            self.serving.forget("step", version, name)
        kept = self._streams.get(version, {})
        for name in [n for n, d in kept.items() if d.language == language and n not in streams]:
            del kept[name]
            self.serving.forget("stream", version, name)

    def _record_load_errors(self, session: Session, errors: Sequence[tuple[str, str]]) -> None:
        """The latest hello of a language says which of its files do not load (replicas load the
        same files); a file that loads again is no longer listed."""
        version, language = session.version, session.language
        self._load_errors.setdefault(version, {})[language] = [
            LoadFailure(file, language, message) for file, message in errors
        ]
        failing = self._failing(version, language)
        unloaded = self._unloaded.get(version, {})
        for name in [n for n, e in unloaded.items() if e.language == language and e.file not in failing]:
            del unloaded[name]

    def _failing(self, version: str, language: str) -> set[str]:
        return {f.file for f in self._load_errors.get(version, {}).get(language, ())}

    def load_errors(self, version: str | None = None) -> list[LoadFailure]:
        """The step files the active version's (or that version's) sidecars could not load, by file."""
        found = self._load_errors.get(self._active if version is None else version_of(version), {}).values()
        return sorted((f for errors in found for f in errors), key=lambda f: (f.file, f.language))

    def unloaded(self) -> list[StepDef]:
        """Steps of the active version last seen in a file that no longer loads: their
        routes answer 503 naming the file rather than 404."""
        return list(self._unloaded.get(self._active, {}).values())

    def unregister(self, session: Session) -> None:
        """The sidecar is gone; what it defined stays known (no longer live)."""
        self.serving.drop(session)
        self._notify()

    # -- reading (the active version unless asked otherwise) -----------------

    @property
    def hooks(self) -> Set[str]:
        """Hooks the active version declares, even while no sidecar serving them is connected."""
        return self._hooks.get(self._active, set())

    def is_live(self, entry: StepDef) -> bool:
        """Some connected sidecar serves this step (in its version)."""
        return bool(self.serving.of("step", entry.version, entry.name))

    def of_type(self, kind: type[BaseStep]) -> list[StepDef]:
        return [e for e in self.steps.values() if isinstance(e.config, kind)]

    def describe(self, version: str | None = None) -> list[dict[str, Any]]:
        """Every step as plain data (the HTTP step list and the ingress ListSteps both show this)."""
        steps = self._steps.get(self._active if version is None else version_of(version), {})
        out = []
        for e in sorted(steps.values(), key=lambda e: e.name):
            cfg = e.config
            sessions = self.serving.of("step", e.version, e.name)
            item: dict[str, Any] = {
                "name": e.name,
                "type": cfg.type,
                "language": e.language,
                "file": e.file,
                "live": bool(sessions),
                "sidecars": [s.sidecar_id for s in sessions],
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


_MISSING = object()


def changed_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    """``field: old -> new`` for every (nested, dotted) field that differs."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted({*old, *new}, key=str):
            out += changed_fields(old.get(key, _MISSING), new.get(key, _MISSING), f"{prefix}{key}.")
        return out
    if old == new:
        return []

    def show(v: Any) -> str:
        text = "(none)" if v is _MISSING else repr(v)
        return text if len(text) <= 60 else text[:57] + "..."

    return [f"{prefix.rstrip('.')}: {show(old)} -> {show(new)}"]


def _replica_differs(file: str, name: str, changed: list[str], kind: str = "step") -> str:
    return (
        f"{file}: {kind} {name!r} is registered already with another config (changed: {'; '.join(changed)}); "
        "a sidecar must load the same files as the one registered. A step changes by a reload "
        "(`stephost dev` reloads its own sidecars) or a new version (a deployment), or restart the host"
    )
