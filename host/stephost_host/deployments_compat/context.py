"""What every compatible surface shares: the deploy service, who may call, which project this is,
and where a deployment's source comes from when the caller sends none.

Authentication is the deploy API's own (``deployments.auth``: bearer tokens with read / write /
activate scopes); Motia's per-deployment ``deploymentToken`` (``tokens.py``) is a credential
for that one deployment. A project is one per host cluster: an app / environment id that is
not this project's is a 404, never a silent default.
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from stephost_host.deployments.archive import ArchiveError, pack
from stephost_host.deployments.archive import names as archive_names
from stephost_host.deployments.auth import Denied, DeployAuth, Scope
from stephost_host.deployments.models import Deployment
from stephost_host.deployments.pipeline import needed_languages
from stephost_host.deployments.service import Deployments, Refusal, check_env
from stephost_host.deployments_compat.tokens import DeploymentTokens
from stephost_host.http.admin.auth import bearer
from stephost_host.http.admin.deployments import _body as read_body  # the deploy API's 400s

__all__ = ["ENVIRONMENT", "Compat", "read_body"]

ENVIRONMENT = "production"  # the record's one environment (Motia's environmentId / environmentName)


@dataclass
class Compat:
    deployments: Deployments
    auth: DeployAuth
    tokens: DeploymentTokens
    project: str  # the project's name: the phased API's productionAppId
    project_dir: Path  # the configured source (this host's project folder)

    # -- who may call -----------------------------------------------------------------

    def check(self, request: Request, *needed: Scope) -> frozenset[Scope]:
        try:
            return self.auth.check(bearer(request.headers.get("authorization")), *needed)
        except Denied as exc:
            raise HTTPException(exc.status, exc.message) from None

    def check_for(self, request: Request, deployment_id: str, *needed: Scope) -> None:
        """A deploy token with the scopes, or that deployment's own deploymentToken."""
        token = bearer(request.headers.get("authorization"))
        if token and self.tokens.valid(token, deployment_id):
            return
        self.check(request, *needed)

    # -- which project ------------------------------------------------------------------

    def own_app(self, given: Any, field: str) -> None:
        if given != self.project:
            raise HTTPException(
                404, f"{field} {given!r}: no such app here (this host cluster deploys one: {self.project!r})"
            )

    # -- the deploy service ----------------------------------------------------------------

    async def find(self, ref: str) -> Deployment:
        try:
            return await self.deployments.find(ref)
        except Refusal as exc:
            raise HTTPException(exc.status, exc.message) from None

    async def set_env(self, record: Deployment, env: Any) -> None:
        """Env given when a deployment starts (Motia's ``envs``), for a deployment not yet started."""
        values = check_env(env)
        await self.deployments.records.put_env(record.id, values)

        def keyed(r: Deployment) -> None:
            r.env_keys = sorted(values)

        await self.deployments.records.change(record.id, keyed)

    async def configured_source(self) -> bytes | None:
        """The project's configured source: this host's project folder when it holds step
        files (an archive), else None for the active deployment's source again (a redeploy).
        Refused, before anything is created, when there is neither."""
        source = await asyncio.to_thread(self.folder_source)
        if source is None and not (await self.deployments.records.active())[0]:
            raise Refusal(
                409,
                f"nothing to deploy: the project folder {self.project_dir} has no step files and no "
                "deployment is active (upload a source: PUT /__stephost/deployments/{id}/source)",
            )
        return source

    async def start(self, record: Deployment, source: bytes | None = None) -> Deployment:
        """Start a deployment with its uploaded source, else ``source`` (``configured_source``:
        the folder's archive, or None for a redeploy of the active deployment)."""
        if record.source_digest:
            return await self.deployments.start(record.id)
        if source is None:
            return await self.deployments.start(record.id, from_deployment="active")
        commit_hash, commit_message = await asyncio.to_thread(self.commit)

        def committed(r: Deployment) -> None:
            r.commit_hash = r.commit_hash or commit_hash
            r.commit_message = r.commit_message or commit_message

        await self.deployments.records.change(record.id, committed)
        await self.deployments.upload(record.id, source)
        return await self.deployments.start(record.id)

    def folder_source(self) -> bytes | None:
        """The project folder as a source archive; None when it has no step files."""
        try:
            data = pack(self.project_dir, self.deployments.max_bundle_bytes)
        except ArchiveError as exc:
            raise Refusal(400, str(exc)) from None
        return data if needed_languages(archive_names(data)) else None

    def commit(self) -> tuple[str, str]:
        """(hash, subject) of the project folder's git HEAD; ("", "") when it is no checkout."""
        try:
            out = subprocess.run(
                ["git", "-C", str(self.project_dir), "log", "-1", "--format=%H%n%s"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return "", ""
        hash_, _, subject = out.strip().partition("\n")
        return hash_, subject
