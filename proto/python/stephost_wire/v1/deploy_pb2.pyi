from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateDeploymentRequest(_message.Message):
    __slots__ = ("version_name", "description", "env", "no_promote", "dry_run", "commit_hash", "commit_message", "from_deployment")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VERSION_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    NO_PROMOTE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    COMMIT_HASH_FIELD_NUMBER: _ClassVar[int]
    COMMIT_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FROM_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    version_name: str
    description: str
    env: _containers.ScalarMap[str, str]
    no_promote: bool
    dry_run: bool
    commit_hash: str
    commit_message: str
    from_deployment: str
    def __init__(self, version_name: _Optional[str] = ..., description: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., no_promote: _Optional[bool] = ..., dry_run: _Optional[bool] = ..., commit_hash: _Optional[str] = ..., commit_message: _Optional[str] = ..., from_deployment: _Optional[str] = ...) -> None: ...

class SourceChunk(_message.Message):
    __slots__ = ("deployment_id", "data")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    data: bytes
    def __init__(self, deployment_id: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class StartDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id", "from_deployment")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    from_deployment: str
    def __init__(self, deployment_id: _Optional[str] = ..., from_deployment: _Optional[str] = ...) -> None: ...

class DeploymentRef(_message.Message):
    __slots__ = ("deployment_id",)
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    def __init__(self, deployment_id: _Optional[str] = ...) -> None: ...

class ListDeploymentsRequest(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: str
    def __init__(self, status: _Optional[str] = ...) -> None: ...

class ListDeploymentsResponse(_message.Message):
    __slots__ = ("deployments",)
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[DeploymentInfo]
    def __init__(self, deployments: _Optional[_Iterable[_Union[DeploymentInfo, _Mapping]]] = ...) -> None: ...

class DeploymentInfo(_message.Message):
    __slots__ = ("id", "number", "status", "phase", "progress", "message", "error", "error_phase", "version_id", "is_active", "activation", "record_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_PHASE_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    RECORD_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    number: int
    status: str
    phase: str
    progress: int
    message: str
    error: str
    error_phase: str
    version_id: str
    is_active: bool
    activation: str
    record_json: str
    def __init__(self, id: _Optional[str] = ..., number: _Optional[int] = ..., status: _Optional[str] = ..., phase: _Optional[str] = ..., progress: _Optional[int] = ..., message: _Optional[str] = ..., error: _Optional[str] = ..., error_phase: _Optional[str] = ..., version_id: _Optional[str] = ..., is_active: _Optional[bool] = ..., activation: _Optional[str] = ..., record_json: _Optional[str] = ...) -> None: ...

class DeploymentEvent(_message.Message):
    __slots__ = ("snapshot", "log_line")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    LOG_LINE_FIELD_NUMBER: _ClassVar[int]
    snapshot: DeploymentInfo
    log_line: str
    def __init__(self, snapshot: _Optional[_Union[DeploymentInfo, _Mapping]] = ..., log_line: _Optional[str] = ...) -> None: ...
