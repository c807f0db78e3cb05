"""Bundle garbage collection: the object store keeps the bundles of the last
``deploy_keep_versions`` completed deployments, and of every deployment that is active,
staged, draining or still running, whatever its age; older bundles, and those of failed or
cancelled deployments, are deleted and their records say so (``bundlesCollected``), so a rollback to one is refused with a reason instead
of failing half-way. Bundles are content-addressed and shared between deployments of the same
content: one is deleted only when no kept deployment uses it.
"""

from __future__ import annotations

import logging

from stephost_host import names
from stephost_host.deployments.bundles import Bundles
from stephost_host.deployments.models import Activation, Deployment, Kind, Status
from stephost_host.deployments.records import Records

log = logging.getLogger("stephost.deploy")
KEPT_STATES = frozenset({Activation.ACTIVE, Activation.STAGED, Activation.DRAINING})


def _objects(record: Deployment) -> set[str]:
    return {names.bundle_object(b.language, b.digest) for b in record.bundles}


async def collect(records: Records, bundles: Bundles, keep: int) -> list[str]:
    """Delete the bundles no kept deployment uses; the names deleted."""
    every = await records.all()  # newest first, activation as the pointer says
    built = [r for r in every if r.kind is Kind.DEPLOY and r.bundles and not r.dry_run]
    completed = [r for r in built if r.status is Status.COMPLETED]
    kept = {r.id for r in completed[:keep]}
    kept |= {r.id for r in built if not r.final or r.is_active or r.activation in KEPT_STATES}
    used = set().union(*(_objects(r) for r in built if r.id in kept))
    # A failed or cancelled deploy can never be rolled back to: its bundles go at once (a
    # cancel after upload leaves no orphan objects), unless a kept deployment shares them.
    ended = [r for r in built if r.final and r.status is not Status.COMPLETED]
    deleted: list[str] = []
    for record in [*completed, *ended]:
        if record.id in kept or record.bundles_collected:
            continue
        for name in sorted(_objects(record) - used):
            await bundles.delete(name)
            deleted.append(name)

        def collected(r: Deployment) -> None:
            r.bundles_collected = True

        await records.change(record.id, collected)
        why = (
            f"older than the last {keep} deployments"
            if record.status is Status.COMPLETED
            else "it did not complete"
        )
        log.info("deployment #%d: bundles deleted (%s)", record.number, why)
    return deleted
