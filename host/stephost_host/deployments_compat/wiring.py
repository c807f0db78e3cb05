"""The compatible deployment APIs built from the host's parts (called by the composition root)."""

from __future__ import annotations

from stephost_host.config import Settings
from stephost_host.deployments.auth import DeployAuth
from stephost_host.deployments.service import Deployments
from stephost_host.deployments_compat.context import Compat
from stephost_host.deployments_compat.status_stream import StatusStream
from stephost_host.deployments_compat.surfaces import Surfaces
from stephost_host.deployments_compat.tokens import DeploymentTokens
from stephost_host.router.registry import Registry


def compat_surfaces(
    deployments: Deployments, auth: DeployAuth, registry: Registry, secret: str, settings: Settings
) -> tuple[StatusStream, Surfaces | None]:
    """The host's deployment-status stream (on with the Motia API) and the HTTP surfaces
    ``deploy_apis`` turns on (None when it names none)."""
    tokens = DeploymentTokens(secret)
    stream = StatusStream(
        deployments,
        registry.streams,
        auth,
        tokens,
        name=settings.deploy_status_stream,
        enabled="motia" in settings.deploy_apis,
    )
    if not settings.deploy_apis:
        return stream, None
    compat = Compat(deployments, auth, tokens, settings.project.name, settings.project)
    surfaces = Surfaces(compat, stream, settings.deploy_apis)
    surfaces.follow_routes(registry)
    return stream, surfaces
