"""The deploy pipeline: ordered phases that build a version on agents and switch to it.

orchestrate -> download -> infra -> build -> package -> upload -> migrate -> service_deploy
-> cache_invalidation. Each phase runs under its own deadline, so a deploy never hangs "in
progress". Until the pointer flips (inside service_deploy) the old version serves and a
failure or a cancel stops only what the deploy started; the flip is one compare-and-set, so
after any crash every host is on the old version or on the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nats.js import JetStreamContext

from stephost_host import names
from stephost_host.agents import AgentPool as Pool
from stephost_host.config import PROJECT_FILE
from stephost_host.deployments import migrate as migrating
from stephost_host.deployments import plan as planning
from stephost_host.deployments.archive import ArchiveError
from stephost_host.deployments.archive import names as archive_names
from stephost_host.deployments.bundles import BundleError, Bundles
from stephost_host.deployments.fleet import Fleet
from stephost_host.deployments.models import (
    Activation,
    BuildItem,
    Bundle,
    Deployment,
    Kind,
    PhaseStatus,
    Status,
    UploadItem,
    now,
)
from stephost_host.deployments.records import Records
from stephost_host.errors import HostError
from stephost_host.router.registry import Registry
from stephost_host.supervisor.languages import languages as known_languages

log = logging.getLogger("stephost.deploy")
# Test-only, comma-separated: "PHASE" or "PHASE@NUMBER" (only that deployment): the pipeline waits at the start
# of the phase until it is cancelled, so a test can cancel "in" any phase deterministically.
# "switch" is the moment before the flip, with the new version's workers running.
PAUSE_ENV = "STEPHOST_TEST_DEPLOY_PAUSE"
PAUSE_MAX = 120.0
SAVE_EVERY = 0.25  # seconds between record writes for log lines (phase changes write at once)


@dataclass(frozen=True)
class Limits:
    build_seconds: float = 600.0
    ready_seconds: float = 120.0
    phase_seconds: float = 120.0  # every other phase
    drain_seconds: float = 10.0
    keep_warm_seconds: float = 300.0  # a replaced version's workers stay up this long (fast rollback)
    keep_versions: int = 10  # bundles of the last N completed deployments stay in the store
    # A runner that stops renewing its deploy lock (its host died) loses it after this long;
    # how fast the fleet notices a dead host follows from it (the ratios below), so a test
    # can shorten them all at once.
    lease_seconds: float = 30.0

    @property
    def recover_every(self) -> float:
        """How often a host looks for deploys whose runner's lease expired."""
        return self.lease_seconds / 6

    @property
    def host_ttl(self) -> float:
        """A host whose heartbeat is this old is no longer waited for (its queue is adopted)."""
        return self.lease_seconds / 3

    @property
    def heartbeat(self) -> float:
        """Seconds between a host's heartbeats: several fit in one ``host_ttl``."""
        return self.lease_seconds / 10


class PhaseFailed(Exception):
    def __init__(self, message: str, file: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.file = file


def version_id(source_digest: str, env: dict[str, str]) -> str:
    """Same source and same env: same version (its workers can be reused); a change in either
    is a new version."""
    h = hashlib.sha256(source_digest.encode())
    for key in sorted(env):
        h.update(f"\0{key}\0{env[key]}".encode())
    return "v" + h.hexdigest()[:12]


def needed_languages(files: Iterable[str]) -> list[str]:
    """The languages with at least one step or stream file under steps/ or src/."""
    found = [f for f in files if f.split("/", 1)[0] in ("steps", "src")]
    basenames = [f.rsplit("/", 1)[-1] for f in found]
    return [n for n, lang in known_languages().items() if any(lang.step_files.match(b) for b in basenames)]


class Pipeline:
    def __init__(
        self,
        records: Records,
        bundles: Bundles,
        registry: Registry,
        js: JetStreamContext,
        pool: Pool | None,
        fleet: Fleet,
        *,
        limits: Limits,
        host_id: str,
    ) -> None:
        self.records = records
        self.bundles = bundles
        self.registry = registry
        self.js = js
        self.pool = pool
        self.fleet = fleet
        self.limits = limits
        self.host_id = host_id
        self.committing: set[str] = set()  # deployments past the point where cancel is possible
        self.retiring: set[asyncio.Task[None]] = set()  # replaced versions kept warm a while

    # -- the record while it runs ---------------------------------------------------

    async def _save(self, record: Deployment) -> None:
        await self.records.save(record, merge=_take_cancel)
        record._saved_at = time.monotonic()

    def _logger(self, record: Deployment, phase: str) -> PhaseLog:
        return PhaseLog(self, record, phase)

    async def _flush(self, record: Deployment, lines: list[str]) -> None:
        with contextlib.suppress(Exception):  # a log write never fails a deploy
            for text in lines:
                await self.records.log(record.id, text)
            await self._save(record)

    async def _log(self, record: Deployment, phase: str, text: str) -> None:
        record.log(phase, text)
        await self.records.log(record.id, text)

    async def _checkpoint(self, record: Deployment) -> None:
        stored = await self.records.get(record.id)
        if stored is not None and stored.cancel_requested:
            record.cancel_requested = True
            raise asyncio.CancelledError

    # -- running ----------------------------------------------------------------------

    async def run(self, record: Deployment, source: bytes | None = None) -> Deployment:
        """Run every phase; the record ends completed, failed or cancelled (never in progress)."""
        record.runner, record.started_at = self.host_id, record.started_at or time.time()
        started: list[str] = []  # languages whose workers of the new version were started
        state: dict[str, Any] = {"source": source}
        steps: list[tuple[str, Callable[[Deployment, dict[str, Any], list[str]], Awaitable[None]]]] = [
            ("orchestrate", self._orchestrate),
            ("download", self._download),
            ("infra", self._infra),
            ("build", self._build),
            ("package", self._package),
            ("upload", self._upload),
            ("migrate", self._migrate),
            ("service_deploy", self._service_deploy),
            ("cache_invalidation", self._cache_invalidation),
        ]
        phase = ""
        try:
            for phase, step in steps:
                if record.kind is not Kind.DEPLOY and phase not in ("service_deploy", "cache_invalidation"):
                    continue  # a rollback builds nothing: its version's bundles are stored
                if record.final:  # a dry run ends after its plan
                    break
                await self._checkpoint(record)
                record.enter(phase)
                await self._save(record)
                await self._pause_point(record, phase)
                deadline = self._deadline(phase, state)
                try:
                    async with asyncio.timeout(deadline):
                        await step(record, state, started)
                except TimeoutError:
                    raise PhaseFailed(f"{phase} made no progress within {deadline:g}s") from None
                if record.phase_of(phase).status is PhaseStatus.IN_PROGRESS:
                    record.leave(phase)
                await self._save(record)
            if not record.final:
                record.finish(Status.COMPLETED, record.message or "deployed")
        except asyncio.CancelledError:
            await self._undo(record, started)
            record.finish(Status.CANCELLED, f"cancelled during {phase}")
            record.error, record.error_phase = "cancelled", phase
        except PhaseFailed as exc:
            await self._undo(record, started)
            record.fail(phase, exc.message, exc.file)
        except (HostError, BundleError, ArchiveError) as exc:
            await self._undo(record, started)
            record.fail(phase, str(exc), _file_of(exc))
        except Exception as exc:
            log.exception("deployment %s failed in %s", record.id, phase)
            await self._undo(record, started)
            record.fail(phase, f"{type(exc).__name__}: {exc}")
        finally:
            self.committing.discard(record.id)
        with contextlib.suppress(Exception):
            await self.records.log(record.id, f"{record.status.value}: {record.message}")
        await asyncio.shield(self._save(record))
        log.info("deployment #%d (%s): %s %s", record.number, record.id, record.status.value, record.message)
        return record

    def _deadline(self, phase: str, state: dict[str, Any]) -> float:
        if phase == "build":
            return self.limits.build_seconds + 30
        if phase == "migrate" and state.get("migrate") is not None:
            return float(state["migrate"].timeout) + 30  # the hook's own deadline stops it first
        if phase == "service_deploy":
            return self.limits.ready_seconds + self.limits.phase_seconds
        return self.limits.phase_seconds

    async def _pause_point(self, record: Deployment, phase: str) -> None:
        points = [p.strip().partition("@") for p in os.environ.get(PAUSE_ENV, "").split(",")]
        if not any(w == phase and (not n or n == str(record.number)) for w, _, n in points):
            return
        await self._log(record, record.phase, f"test pause point: waiting at {phase} until cancelled")
        await self._save(record)
        await asyncio.sleep(PAUSE_MAX)

    async def _undo(self, record: Deployment, started: list[str]) -> None:
        """Stop the new version's workers on every host (never the serving version's)."""
        version = record.version_id
        if not started or version == self.fleet.active.get("version"):
            return
        with contextlib.suppress(Exception):
            await asyncio.shield(self.fleet.unwant(version))
            await asyncio.shield(self.fleet.stop_here(version))

    # -- phases -----------------------------------------------------------------------

    async def _orchestrate(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        if not record.source_digest:
            raise PhaseFailed("no source: upload one, or name an earlier deployment's version")
        env = await self.records.get_env(record.id)
        record.env_keys = sorted(env)
        state["env"] = env
        await self._log(
            record,
            "orchestrate",
            f"source {record.source_digest[:12]} ({record.source_size} bytes); env keys: "
            + (", ".join(record.env_keys) or "none"),
        )

    async def _download(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        source = state.get("source") or await self.bundles.get(names.source_object(record.source_digest))
        state["source"] = source
        files = archive_names(source)
        state["files"] = files
        record.languages = needed_languages(files)
        if not record.languages:
            raise PhaseFailed("the source has no step files under steps/ or src/")
        record.version_id = record.version_id or version_id(record.source_digest, state["env"])
        try:  # a malformed [deploy] table fails here, before anything is built
            state["migrate"] = migrating.hook_of(source, self.limits.phase_seconds)
        except migrating.MigrateFailed as exc:
            raise PhaseFailed(str(exc), PROJECT_FILE) from None
        await self._log(
            record,
            "download",
            f"{len(files)} files; languages: {', '.join(record.languages)}; version {record.version_id}",
        )

    async def _infra(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        missing = [lang for lang in record.languages if self.pool is None or not self.pool.count(lang)]
        if missing:
            raise PhaseFailed(
                f"no {' or '.join(missing)} agent is connected to this host: start one with "
                f"`stephost sidecar {missing[0]} --agent --connect HOST:PORT`"
            )
        await self._log(record, "infra", "bundle store, log stream and an agent per language are ready")

    async def _build(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        assert self.pool is not None
        pool, env, files = self.pool, state["env"], state["files"]
        sink = self._logger(record, "build")
        done = 0

        async def one(lang: str) -> Any:
            nonlocal done
            outcome = await pool.build(
                lang,
                record.version_id,
                state["source"],
                env,
                on_log=lambda line: sink(f"[{lang}] {line}"),
                timeout=self.limits.build_seconds,
            )
            done += 1
            record.advance("build", done / len(record.languages))
            return outcome

        outcomes = dict(
            zip(
                record.languages, await asyncio.gather(*(one(lang) for lang in record.languages)), strict=True
            )
        )
        await sink.flush()
        for lang, outcome in outcomes.items():
            for s in outcome.steps:
                record.build.append(
                    BuildItem(
                        package_path=s["file"],
                        language=lang,
                        type=s["type"],
                        name=s["name"],
                        status="built",
                        size=files.get(s["file"], 0),
                    )
                )
            for e in outcome.load_errors:
                record.build.append(
                    BuildItem(
                        package_path=e["file"],
                        language=lang,
                        type="",
                        status="error",
                        error_message=e["message"],
                    )
                )
        failed = [(lang, o) for lang, o in outcomes.items() if not o.ok]
        if failed:
            lang, o = failed[0]
            if o.file and not any(b.package_path == o.file and b.status == "error" for b in record.build):
                record.build.append(
                    BuildItem(
                        package_path=o.file, language=lang, type="", status="error", error_message=o.error
                    )
                )
            raise PhaseFailed(f"{lang} build failed: {o.error}", o.file)
        manifests = [planning.as_manifests(lang, o.steps, o.streams, o.hooks) for lang, o in outcomes.items()]
        scratch, refused = planning.check(record.version_id, manifests)
        if refused:
            for r in refused:
                await self._log(record, "build", f"refused: {r.reason}")
            raise PhaseFailed(refused[0].reason, refused[0].file)
        state["outcomes"] = outcomes
        await self._plan(record, scratch)
        record.metadata.total_steps = len(record.build)
        await self._log(record, "build", f"built {len(record.build)} steps in {len(outcomes)} languages")
        if record.dry_run:
            record.leave("build")
            record.finish(Status.COMPLETED, "dry run: the plan is ready; nothing was uploaded or switched")

    async def _plan(self, record: Deployment, scratch: Registry) -> None:
        scratch.activate(record.version_id)
        current, new = self.registry.describe(), scratch.describe()
        record.plan = planning.plan(current, list(self.registry.streams), new, list(scratch.streams))
        backlogs = []
        for topic, step in planning.removed_subscriptions(current, new):
            pending = 0
            with contextlib.suppress(Exception):  # no consumer yet: no backlog
                info = await self.js.consumer_info(names.EVENTS_STREAM, names.consumer_name(topic, step))
                pending = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
            backlogs.append({"topic": topic, "step": step, "pending": pending})
        record.plan["pausedBacklogs"] = backlogs

    async def _package(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        for lang, outcome in state["outcomes"].items():
            self.bundles.check_size(f"the {lang} bundle", len(outcome.bundle))
            record.bundles.append(Bundle(language=lang, digest=outcome.digest, size=len(outcome.bundle)))
            await self._log(
                record, "package", f"{lang}: bundle {outcome.digest[:12]} ({len(outcome.bundle)} bytes)"
            )

    async def _upload(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        outcomes = state["outcomes"]
        record.upload = [
            UploadItem(
                package_path=names.bundle_object(b.language, b.digest), language=b.language, size=b.size
            )
            for b in record.bundles
        ]
        await self._save(record)
        for i, item in enumerate(record.upload):
            try:
                sent = await self.bundles.put(item.package_path, outcomes[item.language].bundle)
            except BundleError as exc:
                item.status = "error"
                raise PhaseFailed(str(exc)) from None
            item.status, item.progress, item.reused = "uploaded", 100, not sent
            record.advance("upload", (i + 1) / len(record.upload))
            await self._log(
                record,
                "upload",
                f"{item.package_path}: " + ("already stored, nothing sent" if not sent else "uploaded"),
            )
            await self._save(record)

    async def _migrate(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        hook: migrating.Hook | None = state.get("migrate")
        if hook is None:
            record.leave("migrate", PhaseStatus.SKIPPED)
            await self._log(record, "migrate", "skipped: the project defines no migrate hook")
            return
        await self._log(record, "migrate", f"$ {hook.command} (deadline {hook.timeout:g}s)")
        sink = self._logger(record, "migrate")
        try:
            await migrating.run(
                hook,
                state["source"],
                state["env"],
                version=record.version_id,
                deployment_id=record.id,
                on_line=sink,
            )
        except migrating.MigrateFailed as exc:
            raise PhaseFailed(str(exc), PROJECT_FILE) from None
        finally:
            await sink.flush()
        await self._log(record, "migrate", "the migrate hook succeeded")

    async def _service_deploy(self, record: Deployment, state: dict[str, Any], started: list[str]) -> None:
        target = record
        if record.kind is not Kind.DEPLOY:
            found = await self.records.get(record.rollback_of)
            if found is None:
                raise PhaseFailed(f"deployment {record.rollback_of} is gone")
            target = found
            record.version_id, record.languages, record.bundles = (
                target.version_id,
                target.languages,
                target.bundles,
            )
        await self.ensure_running(target, record, started)
        record.metadata.completed_steps = record.metadata.total_steps
        await self._pause_point(record, "switch")
        await self._checkpoint(record)
        if not record.promote:
            record.activation = Activation.STAGED
            await self._log(
                record, "service_deploy", f"version {record.version_id} is ready and staged (not promoted)"
            )
            return
        self.committing.add(record.id)  # from here on the deploy is not cancellable
        await self.switch(target, record)

    async def _cache_invalidation(self, record: Deployment, state: dict[str, Any], _: list[str]) -> None:
        if record.activation is Activation.STAGED:
            record.leave("cache_invalidation", PhaseStatus.SKIPPED)
            return
        # The pointer watcher applies the flip; the registry offers no awaitable, so poll.
        while self.registry.active != record.version_id:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        routes = sum(1 for s in self.registry.describe() if s["type"] == "api")
        await self._log(record, "cache_invalidation", f"route table and step list rebuilt ({routes} routes)")

    # -- shared with promote and rollback ---------------------------------------------

    async def ensure_running(self, target: Deployment, record: Deployment, started: list[str]) -> None:
        """Workers of ``target``'s version ready on every live host (each host's reconciler
        starts them on its own agents from the stored bundles, unless they are still warm)."""
        version = target.version_id
        await self.fleet.want(target)
        started.append(version)
        await self._log(record, "service_deploy", f"starting version {version} on every host")
        await self.fleet.run_here(version, target.id)
        await self._log(record, "service_deploy", f"version {version} is ready on this host")
        await self.fleet.all_ready(version, self.limits.ready_seconds)
        await self._log(record, "service_deploy", f"version {version} is ready on every host")

    async def switch(self, target: Deployment, record: Deployment) -> None:
        """Flip the pointer to ``target`` (one CAS), then mark the replaced deployment."""
        pointer, revision = await self.records.active()
        previous = str(pointer.get("deploymentId", ""))
        old_version = str(pointer.get("version", ""))
        await self.records.flip({"deploymentId": target.id, "version": target.version_id}, revision)
        rollback = record.kind is Kind.ROLLBACK
        await self._log(record, "service_deploy", f"switched: version {target.version_id} is active")

        def activate(r: Deployment) -> None:
            r.activation, r.is_active = Activation.ACTIVE, True
            r.rolled_back_from = previous if rollback else r.rolled_back_from

        if target is record:
            activate(record)
        else:
            await self.records.change(target.id, activate)
        stamp = now()  # this replacement's mark: a keep-warm timer retires only what it replaced
        if previous and previous != target.id:
            state = Activation.ROLLED_BACK if rollback else Activation.DRAINING
            if old_version == target.version_id:
                state = Activation.RETIRED  # the same version goes on serving under the new record

            def replaced(r: Deployment) -> None:
                r.activation, r.is_active, r.replaced_at = state, False, stamp

            await self.records.change(previous, replaced)
        if old_version and old_version != target.version_id:
            self._retire_later(previous, old_version, stamp)

    def _retire_later(self, deployment_id: str, version: str, replaced_at: float) -> None:
        """The replaced version drains and stays warm a while (an instant rollback), then every
        host stops it, unless it was made active again meanwhile."""

        async def retire() -> None:
            await asyncio.sleep(self.limits.keep_warm_seconds)
            found = await self.records.get(deployment_id)
            if found is None or found.activation not in (Activation.DRAINING, Activation.ROLLED_BACK):
                return
            if found.replaced_at != replaced_at:
                return  # active again and replaced again since: that switch's timer retires it
            await self.fleet.unwant(version)

            def retired(r: Deployment) -> None:
                if r.activation is Activation.DRAINING:
                    r.activation = Activation.RETIRED

            await self.records.change(deployment_id, retired)

        task = asyncio.create_task(retire(), name=f"deploy:retire:{version}")
        self.retiring.add(task)
        task.add_done_callback(self.retiring.discard)


class PhaseLog:
    """A sink for one phase's output lines (a build's): into the record's tails at once, into
    the full log stream and the stored record at most every SAVE_EVERY seconds."""

    def __init__(self, pipeline: Pipeline, record: Deployment, phase: str) -> None:
        self.pipeline, self.record, self.phase = pipeline, record, phase
        self.pending: list[str] = []
        self.writing: set[asyncio.Future[None]] = set()

    def __call__(self, text: str) -> None:
        self.record.log(self.phase, text)
        self.pending.append(text)
        if time.monotonic() - self.record._saved_at >= SAVE_EVERY:
            self.record._saved_at = time.monotonic()
            task = asyncio.ensure_future(self.flush())
            self.writing.add(task)
            task.add_done_callback(self.writing.discard)

    async def flush(self) -> None:
        lines, self.pending = self.pending, []
        await self.pipeline._flush(self.record, lines)


def _take_cancel(stored: Deployment, mine: Deployment) -> None:
    """A lost write race: what the other writer may have decided is a cancel request."""
    mine.cancel_requested = mine.cancel_requested or stored.cancel_requested


def _file_of(exc: Exception) -> str:
    return str(getattr(exc, "file", "") or "")
