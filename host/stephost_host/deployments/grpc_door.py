"""The gRPC ``Deploy`` service (proto/stephost/v1/deploy.proto): a door onto ``service.py``.

It checks the token and scope of every call first, then translates: requests into service
calls, records into ``DeploymentInfo`` (the whole record as JSON beside the fields a client
switches on), refusals into status codes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from stephost_host.deployments.auth import Denied, DeployAuth, Scope
from stephost_host.deployments.models import Deployment
from stephost_host.deployments.service import Deployments, Refusal
from stephost_wire import codec
from stephost_wire.v1 import deploy_pb2 as pb
from stephost_wire.v1 import deploy_pb2_grpc as pb_grpc

T = TypeVar("T")
_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    410: grpc.StatusCode.FAILED_PRECONDITION,  # a rollback to a version whose bundles were deleted
}


def info(record: Deployment) -> pb.DeploymentInfo:
    return pb.DeploymentInfo(
        id=record.id,
        number=record.number,
        status=record.status.value,
        phase=record.phase,
        progress=record.progress,
        message=record.message,
        error=record.error,
        error_phase=record.error_phase,
        version_id=record.version_id,
        is_active=record.is_active,
        activation=record.activation.value,
        record_json=codec.dumps(record.public()),
    )


def _token(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            text = value if isinstance(value, str) else value.decode(errors="replace")
            scheme, _, token = text.strip().partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


class DeployService(pb_grpc.DeployServicer):
    def __init__(self, deployments: Deployments, auth: DeployAuth) -> None:
        self.deployments = deployments
        self.auth = auth

    async def _door(
        self, context: grpc.aio.ServicerContext, scopes: tuple[Scope, ...], work: Callable[[], Awaitable[T]]
    ) -> T:
        """The token first (nothing runs without the scopes), then the work."""
        try:
            self.auth.check(_token(context), *scopes)
            return await work()
        except (Denied, Refusal) as exc:
            await context.abort(_CODES.get(exc.status, grpc.StatusCode.UNKNOWN), exc.message)
            raise  # abort raises; this line is for the type checker

    def _promoting(self, promote: bool) -> tuple[Scope, ...]:
        return (Scope.WRITE, Scope.ACTIVATE) if promote else (Scope.WRITE,)

    async def Create(self, request: pb.CreateDeploymentRequest, context: Any) -> pb.DeploymentInfo:
        async def create() -> Deployment:
            d = self.deployments
            record = await d.create(
                version_name=request.version_name,
                description=request.description,
                env=dict(request.env),
                promote=not request.no_promote,
                dry_run=request.dry_run,
                commit_hash=request.commit_hash,
                commit_message=request.commit_message,
            )
            if request.from_deployment:
                record = await d.start(record.id, from_deployment=request.from_deployment)
            return record

        promoting = not request.no_promote and not request.dry_run
        return info(await self._door(context, self._promoting(promoting), create))

    async def UploadSource(
        self, request_iterator: AsyncIterator[pb.SourceChunk], context: Any
    ) -> pb.DeploymentInfo:
        async def upload() -> Deployment:
            ref, parts, size = "", [], 0
            async for chunk in request_iterator:
                ref = ref or chunk.deployment_id
                size += len(chunk.data)
                self.deployments.bundles.check_size("the source archive", size)
                parts.append(chunk.data)
            if not ref:
                raise Refusal(400, "deployment_id: the first chunk must name the deployment")
            record = await self.deployments.find(ref)
            return await self.deployments.upload(record.id, b"".join(parts))

        try:
            return info(await self._door(context, (Scope.WRITE,), upload))
        except ValueError as exc:  # the size cap
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise

    async def Start(self, request: pb.StartDeploymentRequest, context: Any) -> pb.DeploymentInfo:
        find = lambda: self.deployments.find(request.deployment_id)  # noqa: E731
        record = await self._door(context, (Scope.WRITE,), find)
        scopes = self._promoting(record.promote and not record.dry_run)
        start = lambda: self.deployments.start(record.id, from_deployment=request.from_deployment)  # noqa: E731
        return info(await self._door(context, scopes, start))

    async def Get(self, request: pb.DeploymentRef, context: Any) -> pb.DeploymentInfo:
        return info(
            await self._door(context, (Scope.READ,), lambda: self.deployments.find(request.deployment_id))
        )

    async def List(self, request: pb.ListDeploymentsRequest, context: Any) -> pb.ListDeploymentsResponse:
        records = await self._door(context, (Scope.READ,), lambda: self.deployments.history(request.status))
        return pb.ListDeploymentsResponse(deployments=[info(r) for r in records])

    async def Watch(self, request: pb.DeploymentRef, context: Any) -> AsyncIterator[pb.DeploymentEvent]:
        record = await self._door(
            context, (Scope.READ,), lambda: self.deployments.find(request.deployment_id)
        )
        async for snapshot, line in self.deployments.watch(record.id):
            if snapshot is not None:
                yield pb.DeploymentEvent(snapshot=info(snapshot))
            else:
                yield pb.DeploymentEvent(log_line=line or "")

    async def Cancel(self, request: pb.DeploymentRef, context: Any) -> pb.DeploymentInfo:
        async def cancel() -> Deployment:
            record = await self.deployments.find(request.deployment_id)
            return await self.deployments.cancel(record.id)

        return info(await self._door(context, (Scope.WRITE,), cancel))

    async def Promote(self, request: pb.DeploymentRef, context: Any) -> pb.DeploymentInfo:
        async def promote() -> Deployment:
            record = await self.deployments.find(request.deployment_id)
            return await self.deployments.promote(record.id)

        return info(await self._door(context, (Scope.ACTIVATE,), promote))

    async def Rollback(self, request: pb.DeploymentRef, context: Any) -> pb.DeploymentInfo:
        return info(
            await self._door(
                context, (Scope.ACTIVATE,), lambda: self.deployments.rollback(request.deployment_id)
            )
        )
