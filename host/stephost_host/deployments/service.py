"""What every deployment surface calls: create, upload, start, get, list, logs, watch, cancel,
promote, rollback. The HTTP admin router, the gRPC ``Deploy`` service and the CLI (through
them) are thin doors onto this; refusals are ``Refusal`` with an HTTP-style status.

One deploy runs at a time per project (a lease in KV, so across hosts); the others wait
their turn in number order. The host that runs a deploy renews its lease; one that dies
leaves a lease that expires, and any host then fails the orphaned record cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from stephost_host import names
from stephost_host.deployments.archive import ArchiveError, digest
from stephost_host.deployments.archive import names as archive_names
from stephost_host.deployments.bundles import Bundles
from stephost_host.deployments.collect import collect
from stephost_host.deployments.fleet import Fleet, ReadyWait
from stephost_host.deployments.models import (
    Activation,
    Deployment,
    Kind,
    PhaseStatus,
    Status,
)
from stephost_host.deployments.pipeline import Limits, Pipeline, Pool
from stephost_host.deployments.records import Records
from stephost_host.router.registry import Registry
from stephost_host.router.versions import FS

log = logging.getLogger("stephost.deploy")
ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WAIT_POLL = 0.5  # how often a queued deploy looks at the lock
CANCEL_POLL = 1.0  # how often a running deploy looks for a cancel made on another host
WATCH_POLL = 0.2


class Refusal(Exception):
    """A request refused with a reason (status: 400, 404, 409...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Deployments:
    # Set by open(), once NATS is up.
    records: Records
    bundles: Bundles
    fleet: Fleet
    pipeline: Pipeline

    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        registry: Registry,
        *,
        pool: Pool | None,
        wait_ready: ReadyWait,
        limits: Limits,
        max_bundle_bytes: int,
        replicas: int,
        project: str,
        host_id: str,
        follow: bool = True,
    ) -> None:
        self.nc, self.js = nc, js
        self.follow = follow  # activate what the pointer says (off under `stephost dev`)
        self.registry = registry
        self.pool = pool
        self.wait_ready = wait_ready
        self.limits = limits
        self.max_bundle_bytes = max_bundle_bytes
        self.replicas = replicas
        self.project = project
        self.host_id = host_id
        self.running: dict[str, asyncio.Task[None]] = {}  # deployment id -> its runner on this host
        self.pipelines: dict[str, asyncio.Task[Deployment]] = {}  # the ones past their turn, running
        self._follow: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None]

    # -- lifecycle (the composition root runs these as a component) -------------------

    async def open(self) -> None:
        """Open the stores, follow the active pointer (so this host serves the active
        deployment), and fail what a host that died mid-deploy left behind."""
        self.records = await Records.open(
            self.nc, self.js, replicas=self.replicas, lease_seconds=self.limits.lease_seconds
        )
        self.bundles = await Bundles.open(self.js, replicas=self.replicas, max_bytes=self.max_bundle_bytes)
        self.fleet = Fleet(
            self.records,
            self.bundles,
            self.registry,
            self.pool,
            self.wait_ready,
            host_id=self.host_id,
            ready_seconds=self.limits.ready_seconds,
            drain_seconds=self.limits.drain_seconds,
            heartbeat=self.limits.heartbeat,
            host_ttl=self.limits.host_ttl,
        )
        self.pipeline = Pipeline(
            self.records,
            self.bundles,
            self.registry,
            self.js,
            self.pool,
            self.fleet,
            limits=self.limits,
            host_id=self.host_id,
        )
        if self.follow:
            self._follow = await self.records.follow(self._on_pointer)
            await self.fleet.open()
        await self._recover()
        self._recovery = asyncio.create_task(self._recovering(), name="deploy:recover")

    async def close(self) -> None:
        if self.follow:
            await self.fleet.close()
        tasks = [*self.running.values(), self._recovery, *([self._follow] if self._follow else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _on_pointer(self, pointer: dict[str, Any]) -> None:
        self.fleet.follow(pointer)
        self.registry.activate(str(pointer.get("version") or FS))

    async def _recover(self) -> None:
        """A deployment whose runner's lease expired (its host died) ends cleanly: completed if
        the pointer had flipped to it, failed otherwise (its version is no longer wanted). One
        queued on a host that died is taken over: this host runs it in its turn."""
        holder = await self.records.holder()
        pointer, _ = await self.records.active()
        records = await self.records.all()
        queued = [r for r in records if r.status is Status.PENDING and r.runner and not r.final]
        if queued:
            await self._adopt(queued)
        for record in records:
            if record.final or record.id == holder or record.status is Status.PENDING:
                continue
            if record.id in self.pipelines:
                continue
            switched = pointer.get("deploymentId") in (record.id, record.rollback_of or None)

            def orphaned(r: Deployment, switched: bool = switched) -> None:
                if r.final:
                    return
                if switched:
                    r.finish(Status.COMPLETED, "switched; the host running it stopped before the end")
                else:
                    r.fail(
                        r.phase or "orchestrate",
                        "the host running this deployment stopped before it finished",
                    )

            await self.records.change(record.id, orphaned)
            if not switched and record.version_id:
                await self.fleet.unwant(record.version_id)
            log.warning(
                "deployment #%d: its host stopped mid-deploy; marked %s",
                record.number,
                "completed" if switched else "failed",
            )

    async def _adopt(self, queued: list[Deployment]) -> None:
        """Queue here the deploys queued on a host whose heartbeat stopped (one compare-and-set
        on each record decides which surviving host takes it)."""
        if not self.follow:
            return  # `stephost dev` runs no deploys
        live = await self.fleet.live_hosts()
        for record in sorted(queued, key=lambda r: r.number):
            dead = record.runner
            if dead in live or dead == self.host_id:  # ours is in self.running (host ids are per process)
                continue
            taken = False

            def adopted(r: Deployment, dead: str = dead) -> None:
                nonlocal taken
                taken = r.status is Status.PENDING and r.runner == dead and not r.final
                if taken:
                    r.runner = self.host_id

            await self.records.change(record.id, adopted)
            if taken:
                log.warning(
                    "deployment #%d: its host %s stopped while it was queued; running it here",
                    record.number,
                    dead,
                )
                await self.records.log(
                    record.id,
                    f"host {dead} stopped while this deploy was queued; host {self.host_id} runs it",
                )
                self._spawn(record)

    async def _recovering(self) -> None:
        while True:
            await asyncio.sleep(self.limits.recover_every)
            try:
                await self._recover()
            except Exception as exc:
                log.warning("deployments: checking for orphaned deploys failed: %s", exc)

    # -- reading ------------------------------------------------------------------------

    async def get(self, deployment_id: str) -> Deployment:
        record = await self.records.get(deployment_id)
        if record is None:
            raise Refusal(404, f"no deployment {deployment_id!r}")
        return record

    async def find(self, ref: str) -> Deployment:
        """By id or by number. The id is tried first: a random hex id is sometimes all digits."""
        record = await self.records.get(ref)
        if record is not None:
            return record
        if ref.isdigit():
            for record in await self.records.all():
                if record.number == int(ref):
                    return record
            raise Refusal(404, f"no deployment number {ref}")
        raise Refusal(404, f"no deployment {ref!r}")

    async def history(self, status: str = "") -> list[Deployment]:
        if status and status not in {s.value for s in Status}:
            raise Refusal(400, f"status {status!r}: expected one of {', '.join(s.value for s in Status)}")
        return [r for r in await self.records.all() if not status or r.status.value == status]

    async def logs(self, deployment_id: str) -> list[str]:
        await self.get(deployment_id)
        return await self.records.logs(deployment_id)

    async def watch(self, deployment_id: str) -> AsyncIterator[tuple[Deployment | None, str | None]]:
        """(snapshot, None) whenever the record changes and (None, line) for each log line,
        from the first line on, until the deployment has ended."""
        last = await self.get(deployment_id)
        queue: asyncio.Queue[str] = asyncio.Queue()

        async def on_line(msg: Any) -> None:
            queue.put_nowait(msg.data.decode(errors="replace"))

        sub = await self.js.subscribe(
            names.deploy_logs_subject(deployment_id),
            stream=names.DEPLOY_LOGS_STREAM,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
            cb=on_line,
        )
        try:
            yield last, None
            while True:
                while not queue.empty():
                    yield None, queue.get_nowait()
                record = await self.get(deployment_id)
                if record.updated_at != last.updated_at:
                    last = record
                    yield record, None
                if record.final:
                    await asyncio.sleep(WATCH_POLL)  # the final line was published before the record
                    while not queue.empty():
                        yield None, queue.get_nowait()
                    return
                await asyncio.sleep(WATCH_POLL)
        finally:
            await sub.unsubscribe()

    # -- creating and starting ----------------------------------------------------------

    async def create(
        self,
        *,
        version_name: str = "",
        description: str = "",
        env: dict[str, str] | None = None,
        promote: bool = True,
        dry_run: bool = False,
        commit_hash: str = "",
        commit_message: str = "",
        kind: Kind = Kind.DEPLOY,
    ) -> Deployment:
        env = check_env(env or {})
        number = await self.records.next_number()
        record = Deployment(
            id=uuid.uuid4().hex[:16],
            number=number,
            project=self.project,
            kind=kind,
            version_name=version_name or f"#{number}",
            description=description,
            promote=promote,
            dry_run=dry_run,
            commit_hash=commit_hash,
            commit_message=commit_message,
            env_keys=sorted(env),
            message="waiting for its source" if kind is Kind.DEPLOY else "",
        )
        await self.records.put_env(record.id, env)
        await self.records.create(record)
        return record

    async def upload(self, deployment_id: str, data: bytes) -> Deployment:
        """The source archive (tar.gz) for a deployment that has not started."""
        record = await self.get(deployment_id)
        if record.status is not Status.PENDING or record.started_at or deployment_id in self.running:
            raise Refusal(409, f"deployment #{record.number} has started; its source cannot change")
        try:
            self.bundles.check_size("the source archive", len(data))
            archive_names(data)
        except (ArchiveError, Exception) as exc:
            raise Refusal(400, str(exc)) from None
        source = digest(data)
        await self.bundles.put(names.source_object(source), data)

        def sourced(r: Deployment) -> None:
            r.source_digest, r.source_size, r.message = source, len(data), "source uploaded"

        updated = await self.records.change(deployment_id, sourced)
        assert updated is not None
        return updated

    async def start(self, deployment_id: str, *, from_deployment: str = "") -> Deployment:
        """Queue the deployment to run; ``from_deployment``: use that deployment's source
        ("active" for the active one: a redeploy)."""
        record = await self.get(deployment_id)
        self._check_follows()
        if record.final or deployment_id in self.running or record.started_at:
            raise Refusal(409, f"deployment #{record.number} was started already ({record.status.value})")
        if from_deployment:
            source = await self._source_of(from_deployment)

            def sourced(r: Deployment) -> None:
                r.source_digest, r.source_size = source.source_digest, source.source_size
                r.commit_hash, r.commit_message = (
                    r.commit_hash or source.commit_hash,
                    r.commit_message or source.commit_message,
                )

            record = await self.records.change(deployment_id, sourced) or record
        if not record.source_digest:
            raise Refusal(
                400, f"deployment #{record.number} has no source: upload one first, or name a version"
            )
        record = await self._queue_here(record)
        self._spawn(record)
        return record

    async def _queue_here(self, record: Deployment) -> Deployment:
        """This host runs it in its turn (if this host dies first, another takes it over)."""

        def queued(r: Deployment) -> None:
            r.runner = self.host_id

        return await self.records.change(record.id, queued) or record

    async def _source_of(self, ref: str) -> Deployment:
        if ref == "active":
            pointer, _ = await self.records.active()
            if not pointer:
                raise Refusal(404, "no deployment is active: there is nothing to redeploy")
            ref = str(pointer["deploymentId"])
        found = await self.find(ref)
        if not found.source_digest:
            raise Refusal(400, f"deployment #{found.number} has no source to deploy again")
        return found

    def _spawn(self, record: Deployment) -> None:
        task = asyncio.create_task(self._run_in_turn(record.id), name=f"deploy:{record.id}")
        self.running[record.id] = task
        task.add_done_callback(lambda _t: self.running.pop(record.id, None))

    async def _run_in_turn(self, deployment_id: str) -> None:
        """Wait for the project's deploy lock (queued in order), then run the pipeline."""
        record = await self.get(deployment_id)
        shown = False
        # In line first, then the lock: a later deploy holding the lock while it waits for an
        # earlier one would keep that one out for good.
        while not (
            await self._first_in_line(record) and await self.records.acquire(deployment_id, self.host_id)
        ):
            if not shown:
                holder = await self.records.holder()
                await self._note(deployment_id, f"queued behind deployment {holder or 'an earlier one'}")
                shown = True
            stored = await self.get(deployment_id)
            if stored.cancel_requested:
                await self._cancel_queued(deployment_id)
                return
            await asyncio.sleep(WAIT_POLL)
        record = await self.get(deployment_id)
        if record.cancel_requested:
            await self._cancel_queued(deployment_id)
            await self.records.release(deployment_id)
            return
        run = asyncio.create_task(self.pipeline.run(record), name=f"pipeline:{deployment_id}")
        self.pipelines[deployment_id] = run
        run.add_done_callback(lambda _t: self.pipelines.pop(deployment_id, None))
        keeper = asyncio.create_task(self._keep_lock(deployment_id, run))
        try:
            await asyncio.shield(run)
            await self._collect()  # still holding the lock: no rollback runs meanwhile
        except asyncio.CancelledError:
            if not run.done():  # this host is stopping: the pipeline ends itself as cancelled
                run.cancel()
                with contextlib.suppress(BaseException):
                    await run
            raise
        finally:
            keeper.cancel()
            await self.records.release(deployment_id)

    async def _collect(self) -> None:
        try:
            await collect(self.records, self.bundles, self.limits.keep_versions)
        except Exception as exc:  # the store keeps them until the next deploy tries again
            log.warning("deployments: deleting old bundles failed: %s", exc)

    async def _first_in_line(self, record: Deployment) -> bool:
        """No earlier deployment is still waiting its turn (deploys run in number order)."""
        for other in await self.records.all():
            if (
                other.number < record.number
                and other.id in self.running
                and not other.final
                and other.status is Status.PENDING
            ):
                return False
        return True

    async def _keep_lock(self, deployment_id: str, run: asyncio.Task[Deployment]) -> None:
        """Renew the lease while the pipeline runs; pass on a cancel asked for on any host."""
        while not run.done():
            await asyncio.sleep(min(CANCEL_POLL, self.limits.lease_seconds / 3))
            with contextlib.suppress(Exception):
                await self.records.acquire(deployment_id, self.host_id)
                stored = await self.records.get(deployment_id)
                if stored is not None and stored.cancel_requested:
                    self._interrupt(deployment_id)

    def _check_follows(self) -> None:
        if not self.follow:
            raise Refusal(
                409,
                "this host runs `stephost dev`, which serves the project folder and follows no "
                "deployment: deploy to a host started with `stephost start`",
            )

    def _interrupt(self, deployment_id: str) -> None:
        """Cancel the running pipeline once (a second cancel would cut short its clean-up)."""
        run = self.pipelines.get(deployment_id)
        if run is not None and not run.cancelling() and deployment_id not in self.pipeline.committing:
            run.cancel()

    async def _note(self, deployment_id: str, message: str) -> None:
        await self.records.log(deployment_id, message)

        def noted(r: Deployment) -> None:
            r.message = message

        await self.records.change(deployment_id, noted)

    async def _cancel_queued(self, deployment_id: str) -> None:
        def cancelled(r: Deployment) -> None:
            if not r.final:
                r.error = "cancelled"
                r.finish(Status.CANCELLED, "cancelled before it started")

        await self.records.change(deployment_id, cancelled)

    # -- cancel, promote, rollback --------------------------------------------------------

    async def cancel(self, deployment_id: str) -> Deployment:
        record = await self.get(deployment_id)
        if record.final or deployment_id in self.pipeline.committing:
            if record.status is Status.COMPLETED or deployment_id in self.pipeline.committing:
                raise Refusal(
                    409,
                    f"deployment #{record.number} has switched versions already and cannot be cancelled; "
                    f"roll back to an earlier deployment instead (stephost deploys rollback)",
                )
            raise Refusal(409, f"deployment #{record.number} has ended already ({record.status.value})")

        def asked(r: Deployment) -> None:
            r.cancel_requested = True

        updated = await self.records.change(deployment_id, asked) or record
        if updated.status is Status.PENDING and not updated.started_at and deployment_id not in self.running:
            await self._cancel_queued(deployment_id)  # never started: nothing to stop
        self._interrupt(deployment_id)  # another host's runner sees the flag within CANCEL_POLL
        return await self.get(deployment_id)

    async def promote(self, deployment_id: str) -> Deployment:
        record = await self.get(deployment_id)
        if record.is_active:
            raise Refusal(409, f"deployment #{record.number} is the active one already")
        if record.status is not Status.COMPLETED or record.dry_run or not record.bundles:
            raise Refusal(
                409,
                f"deployment #{record.number} did not complete a build ({record.status.value}); only a completed one can be promoted",
            )
        return await self.rollback(deployment_id, promote=True)

    async def rollback(self, deployment_id: str = "", *, promote: bool = False) -> Deployment:
        """Make an earlier completed deployment active again, without building anything; it
        pre-empts any deploy that has not switched yet. Returns the rollback's own record."""
        self._check_follows()
        pointer, _ = await self.records.active()
        active = str(pointer.get("deploymentId", ""))
        if deployment_id:
            target = await self.find(deployment_id)
        else:
            earlier = [
                r
                for r in await self.records.all()
                if r.kind is Kind.DEPLOY
                and r.status is Status.COMPLETED
                and r.bundles
                and not r.bundles_collected
                and r.id != active
                and r.activation in (Activation.DRAINING, Activation.RETIRED, Activation.ROLLED_BACK)
            ]
            if not earlier:
                raise Refusal(404, "no earlier completed deployment to roll back to")
            target = earlier[0]
        if target.id == active:
            raise Refusal(409, f"deployment #{target.number} is the active one already")
        if target.bundles_collected:
            raise Refusal(
                410,
                f"deployment #{target.number}'s bundles were deleted: the store keeps those of the last "
                f"{self.limits.keep_versions} completed deployments (setting deploy_keep_versions); "
                f"deploy its source again instead",
            )
        if target.status is not Status.COMPLETED or not target.bundles or target.kind is not Kind.DEPLOY:
            raise Refusal(
                409,
                f"deployment #{target.number} did not complete ({target.status.value}): nothing to roll back to",
            )
        holder = await self.records.holder()
        if holder and holder not in self.pipeline.committing and not promote:
            with contextlib.suppress(Refusal):
                await self.cancel(holder)  # a rollback wins over a deploy that has not switched
        record = await self.create(
            kind=Kind.PROMOTE if promote else Kind.ROLLBACK,
            version_name=target.version_name,
            description=(f"{'promote' if promote else 'rollback to'} deployment #{target.number}"),
        )
        env = await self.records.get_env(target.id)
        await self.records.put_env(record.id, env)

        def aimed(r: Deployment) -> None:
            r.rollback_of, r.source_digest, r.source_size = (
                target.id,
                target.source_digest,
                target.source_size,
            )
            r.version_id, r.env_keys, r.message = target.version_id, sorted(env), r.description
            for p in r.phases[:-2]:
                p.status = PhaseStatus.SKIPPED

        record = await self.records.change(record.id, aimed) or record
        record = await self._queue_here(record)
        self._spawn(record)
        return record


def check_env(env: dict[str, Any]) -> dict[str, str]:
    if not isinstance(env, dict):
        raise Refusal(400, "env: expected an object of NAME: value strings")
    for key, value in env.items():
        if not ENV_KEY.fullmatch(str(key)):
            raise Refusal(
                400, f"env: {key!r} is not a valid variable name (letters, digits, _; not a digit first)"
            )
        if not isinstance(value, str):
            raise Refusal(400, f"env: the value of {key} must be a string")
    return dict(env)
