from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BeatRequest(_message.Message):
    __slots__ = ("sidecar_id", "secret", "in_flight")
    SIDECAR_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    sidecar_id: str
    secret: str
    in_flight: int
    def __init__(self, sidecar_id: _Optional[str] = ..., secret: _Optional[str] = ..., in_flight: _Optional[int] = ...) -> None: ...

class BeatReply(_message.Message):
    __slots__ = ("known",)
    KNOWN_FIELD_NUMBER: _ClassVar[int]
    known: bool
    def __init__(self, known: _Optional[bool] = ...) -> None: ...

class SidecarBatch(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[SidecarMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[SidecarMessage, _Mapping]]] = ...) -> None: ...

class HostBatch(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[HostMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[HostMessage, _Mapping]]] = ...) -> None: ...

class SidecarMessage(_message.Message):
    __slots__ = ("hello", "result", "call", "log", "heartbeat", "chunk", "agent")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    result: InvocationResult
    call: HostCall
    log: LogRecord
    heartbeat: Heartbeat
    chunk: ResponseChunk
    agent: AgentEvent
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., result: _Optional[_Union[InvocationResult, _Mapping]] = ..., call: _Optional[_Union[HostCall, _Mapping]] = ..., log: _Optional[_Union[LogRecord, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., chunk: _Optional[_Union[ResponseChunk, _Mapping]] = ..., agent: _Optional[_Union[AgentEvent, _Mapping]] = ...) -> None: ...

class HostMessage(_message.Message):
    __slots__ = ("welcome", "rejection", "invocation", "call_result", "cancel", "heartbeat", "chunk_ack", "agent")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_FIELD_NUMBER: _ClassVar[int]
    CALL_RESULT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_ACK_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    rejection: Rejection
    invocation: Invocation
    call_result: CallResult
    cancel: Cancel
    heartbeat: Heartbeat
    chunk_ack: ChunkAck
    agent: AgentCommand
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., rejection: _Optional[_Union[Rejection, _Mapping]] = ..., invocation: _Optional[_Union[Invocation, _Mapping]] = ..., call_result: _Optional[_Union[CallResult, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., chunk_ack: _Optional[_Union[ChunkAck, _Mapping]] = ..., agent: _Optional[_Union[AgentCommand, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("protocol_version", "language", "sidecar_id", "capacity", "steps", "load_errors", "secret", "runtime", "streams", "hooks", "version", "agent")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SIDECAR_ID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    LOAD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    language: str
    sidecar_id: str
    capacity: int
    steps: _containers.RepeatedCompositeFieldContainer[StepManifest]
    load_errors: _containers.RepeatedCompositeFieldContainer[LoadError]
    secret: str
    runtime: str
    streams: _containers.RepeatedCompositeFieldContainer[StreamManifest]
    hooks: _containers.RepeatedScalarFieldContainer[str]
    version: str
    agent: bool
    def __init__(self, protocol_version: _Optional[int] = ..., language: _Optional[str] = ..., sidecar_id: _Optional[str] = ..., capacity: _Optional[int] = ..., steps: _Optional[_Iterable[_Union[StepManifest, _Mapping]]] = ..., load_errors: _Optional[_Iterable[_Union[LoadError, _Mapping]]] = ..., secret: _Optional[str] = ..., runtime: _Optional[str] = ..., streams: _Optional[_Iterable[_Union[StreamManifest, _Mapping]]] = ..., hooks: _Optional[_Iterable[str]] = ..., version: _Optional[str] = ..., agent: _Optional[bool] = ...) -> None: ...

class StepManifest(_message.Message):
    __slots__ = ("name", "type", "config_json", "file")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    config_json: str
    file: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., config_json: _Optional[str] = ..., file: _Optional[str] = ...) -> None: ...

class StreamManifest(_message.Message):
    __slots__ = ("name", "config_json", "file")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    name: str
    config_json: str
    file: str
    def __init__(self, name: _Optional[str] = ..., config_json: _Optional[str] = ..., file: _Optional[str] = ...) -> None: ...

class LoadError(_message.Message):
    __slots__ = ("file", "message", "stack")
    FILE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    file: str
    message: str
    stack: str
    def __init__(self, file: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("host_id", "protocol_version", "rejected_steps", "heartbeat_interval_ms")
    HOST_ID_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    REJECTED_STEPS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    host_id: str
    protocol_version: int
    rejected_steps: _containers.RepeatedCompositeFieldContainer[StepRejection]
    heartbeat_interval_ms: int
    def __init__(self, host_id: _Optional[str] = ..., protocol_version: _Optional[int] = ..., rejected_steps: _Optional[_Iterable[_Union[StepRejection, _Mapping]]] = ..., heartbeat_interval_ms: _Optional[int] = ...) -> None: ...

class StepRejection(_message.Message):
    __slots__ = ("step", "file", "reason")
    STEP_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    step: str
    file: str
    reason: str
    def __init__(self, step: _Optional[str] = ..., file: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Rejection(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Invocation(_message.Message):
    __slots__ = ("invocation_id", "step", "trace_id", "attempt", "deadline_unix_ms", "payload_json", "topic", "hook", "raw_body", "files", "traceparent", "file_ranges")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    HOOK_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    FILE_RANGES_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    step: str
    trace_id: str
    attempt: int
    deadline_unix_ms: int
    payload_json: str
    topic: str
    hook: str
    raw_body: bytes
    files: _containers.RepeatedScalarFieldContainer[bytes]
    traceparent: str
    file_ranges: _containers.RepeatedCompositeFieldContainer[ByteRange]
    def __init__(self, invocation_id: _Optional[str] = ..., step: _Optional[str] = ..., trace_id: _Optional[str] = ..., attempt: _Optional[int] = ..., deadline_unix_ms: _Optional[int] = ..., payload_json: _Optional[str] = ..., topic: _Optional[str] = ..., hook: _Optional[str] = ..., raw_body: _Optional[bytes] = ..., files: _Optional[_Iterable[bytes]] = ..., traceparent: _Optional[str] = ..., file_ranges: _Optional[_Iterable[_Union[ByteRange, _Mapping]]] = ...) -> None: ...

class ByteRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class InvocationResult(_message.Message):
    __slots__ = ("invocation_id", "result_json", "error", "body_bytes", "streamed")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    BODY_BYTES_FIELD_NUMBER: _ClassVar[int]
    STREAMED_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    result_json: str
    error: StepError
    body_bytes: bytes
    streamed: bool
    def __init__(self, invocation_id: _Optional[str] = ..., result_json: _Optional[str] = ..., error: _Optional[_Union[StepError, _Mapping]] = ..., body_bytes: _Optional[bytes] = ..., streamed: _Optional[bool] = ...) -> None: ...

class ResponseChunk(_message.Message):
    __slots__ = ("invocation_id", "seq", "data", "status", "headers_json")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_JSON_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    seq: int
    data: bytes
    status: int
    headers_json: str
    def __init__(self, invocation_id: _Optional[str] = ..., seq: _Optional[int] = ..., data: _Optional[bytes] = ..., status: _Optional[int] = ..., headers_json: _Optional[str] = ...) -> None: ...

class ChunkAck(_message.Message):
    __slots__ = ("invocation_id", "seq")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    seq: int
    def __init__(self, invocation_id: _Optional[str] = ..., seq: _Optional[int] = ...) -> None: ...

class StepError(_message.Message):
    __slots__ = ("type", "message", "stack", "retryable", "retry_after_seconds")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    type: str
    message: str
    stack: str
    retryable: bool
    retry_after_seconds: float
    def __init__(self, type: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ..., retryable: _Optional[bool] = ..., retry_after_seconds: _Optional[float] = ...) -> None: ...

class HostCall(_message.Message):
    __slots__ = ("call_id", "invocation_id", "emit", "state", "stream")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    EMIT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    invocation_id: str
    emit: EmitCall
    state: StateCall
    stream: StreamCall
    def __init__(self, call_id: _Optional[str] = ..., invocation_id: _Optional[str] = ..., emit: _Optional[_Union[EmitCall, _Mapping]] = ..., state: _Optional[_Union[StateCall, _Mapping]] = ..., stream: _Optional[_Union[StreamCall, _Mapping]] = ...) -> None: ...

class EmitCall(_message.Message):
    __slots__ = ("topic", "data_json", "message_group_id")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    topic: str
    data_json: str
    message_group_id: str
    def __init__(self, topic: _Optional[str] = ..., data_json: _Optional[str] = ..., message_group_id: _Optional[str] = ...) -> None: ...

class StateCall(_message.Message):
    __slots__ = ("op", "group", "key", "value_json", "expected_revision")
    class Op(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OP_UNSPECIFIED: _ClassVar[StateCall.Op]
        GET: _ClassVar[StateCall.Op]
        SET: _ClassVar[StateCall.Op]
        DELETE: _ClassVar[StateCall.Op]
        GET_GROUP: _ClassVar[StateCall.Op]
        CLEAR: _ClassVar[StateCall.Op]
        GET_REVISION: _ClassVar[StateCall.Op]
        SET_IF_REVISION: _ClassVar[StateCall.Op]
    OP_UNSPECIFIED: StateCall.Op
    GET: StateCall.Op
    SET: StateCall.Op
    DELETE: StateCall.Op
    GET_GROUP: StateCall.Op
    CLEAR: StateCall.Op
    GET_REVISION: StateCall.Op
    SET_IF_REVISION: StateCall.Op
    OP_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    op: StateCall.Op
    group: str
    key: str
    value_json: str
    expected_revision: int
    def __init__(self, op: _Optional[_Union[StateCall.Op, str]] = ..., group: _Optional[str] = ..., key: _Optional[str] = ..., value_json: _Optional[str] = ..., expected_revision: _Optional[int] = ...) -> None: ...

class StreamCall(_message.Message):
    __slots__ = ("op", "stream", "group_id", "id", "data_json")
    class Op(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OP_UNSPECIFIED: _ClassVar[StreamCall.Op]
        GET: _ClassVar[StreamCall.Op]
        SET: _ClassVar[StreamCall.Op]
        DELETE: _ClassVar[StreamCall.Op]
        GET_GROUP: _ClassVar[StreamCall.Op]
        SEND: _ClassVar[StreamCall.Op]
    OP_UNSPECIFIED: StreamCall.Op
    GET: StreamCall.Op
    SET: StreamCall.Op
    DELETE: StreamCall.Op
    GET_GROUP: StreamCall.Op
    SEND: StreamCall.Op
    OP_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    op: StreamCall.Op
    stream: str
    group_id: str
    id: str
    data_json: str
    def __init__(self, op: _Optional[_Union[StreamCall.Op, str]] = ..., stream: _Optional[str] = ..., group_id: _Optional[str] = ..., id: _Optional[str] = ..., data_json: _Optional[str] = ...) -> None: ...

class CallResult(_message.Message):
    __slots__ = ("call_id", "result_json", "error")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    result_json: str
    error: StepError
    def __init__(self, call_id: _Optional[str] = ..., result_json: _Optional[str] = ..., error: _Optional[_Union[StepError, _Mapping]] = ...) -> None: ...

class LogRecord(_message.Message):
    __slots__ = ("invocation_id", "level", "message", "fields_json", "time_unix_ms")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    level: str
    message: str
    fields_json: str
    time_unix_ms: int
    def __init__(self, invocation_id: _Optional[str] = ..., level: _Optional[str] = ..., message: _Optional[str] = ..., fields_json: _Optional[str] = ..., time_unix_ms: _Optional[int] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("sent_unix_ms", "in_flight")
    SENT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    sent_unix_ms: int
    in_flight: int
    def __init__(self, sent_unix_ms: _Optional[int] = ..., in_flight: _Optional[int] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ("invocation_id", "reason")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    reason: str
    def __init__(self, invocation_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AgentCommand(_message.Message):
    __slots__ = ("request_id", "chunk", "build", "start", "stop", "cancel")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    BUILD_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    chunk: BundleChunk
    build: BuildRequest
    start: StartVersion
    stop: StopVersion
    cancel: CancelRequest
    def __init__(self, request_id: _Optional[str] = ..., chunk: _Optional[_Union[BundleChunk, _Mapping]] = ..., build: _Optional[_Union[BuildRequest, _Mapping]] = ..., start: _Optional[_Union[StartVersion, _Mapping]] = ..., stop: _Optional[_Union[StopVersion, _Mapping]] = ..., cancel: _Optional[_Union[CancelRequest, _Mapping]] = ...) -> None: ...

class AgentEvent(_message.Message):
    __slots__ = ("request_id", "chunk", "build_result", "worker", "log")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    BUILD_RESULT_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    chunk: BundleChunk
    build_result: BuildResult
    worker: WorkerState
    log: AgentLog
    def __init__(self, request_id: _Optional[str] = ..., chunk: _Optional[_Union[BundleChunk, _Mapping]] = ..., build_result: _Optional[_Union[BuildResult, _Mapping]] = ..., worker: _Optional[_Union[WorkerState, _Mapping]] = ..., log: _Optional[_Union[AgentLog, _Mapping]] = ...) -> None: ...

class BundleChunk(_message.Message):
    __slots__ = ("data", "last", "digest")
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    last: bool
    digest: str
    def __init__(self, data: _Optional[bytes] = ..., last: _Optional[bool] = ..., digest: _Optional[str] = ...) -> None: ...

class BuildRequest(_message.Message):
    __slots__ = ("version", "env", "timeout_seconds")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    version: str
    env: _containers.ScalarMap[str, str]
    timeout_seconds: int
    def __init__(self, version: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class BuildResult(_message.Message):
    __slots__ = ("ok", "error", "file", "steps", "streams", "load_errors", "hooks", "bundle_digest", "bundle_size", "seconds")
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    LOAD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    error: str
    file: str
    steps: _containers.RepeatedCompositeFieldContainer[StepManifest]
    streams: _containers.RepeatedCompositeFieldContainer[StreamManifest]
    load_errors: _containers.RepeatedCompositeFieldContainer[LoadError]
    hooks: _containers.RepeatedScalarFieldContainer[str]
    bundle_digest: str
    bundle_size: int
    seconds: float
    def __init__(self, ok: _Optional[bool] = ..., error: _Optional[str] = ..., file: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[StepManifest, _Mapping]]] = ..., streams: _Optional[_Iterable[_Union[StreamManifest, _Mapping]]] = ..., load_errors: _Optional[_Iterable[_Union[LoadError, _Mapping]]] = ..., hooks: _Optional[_Iterable[str]] = ..., bundle_digest: _Optional[str] = ..., bundle_size: _Optional[int] = ..., seconds: _Optional[float] = ...) -> None: ...

class StartVersion(_message.Message):
    __slots__ = ("version", "bundle_digest", "env")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    version: str
    bundle_digest: str
    env: _containers.ScalarMap[str, str]
    def __init__(self, version: _Optional[str] = ..., bundle_digest: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StopVersion(_message.Message):
    __slots__ = ("version", "drain_seconds", "keep_files")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DRAIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    KEEP_FILES_FIELD_NUMBER: _ClassVar[int]
    version: str
    drain_seconds: float
    keep_files: bool
    def __init__(self, version: _Optional[str] = ..., drain_seconds: _Optional[float] = ..., keep_files: _Optional[bool] = ...) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("target_request_id",)
    TARGET_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    target_request_id: str
    def __init__(self, target_request_id: _Optional[str] = ...) -> None: ...

class WorkerState(_message.Message):
    __slots__ = ("version", "state", "exit_code", "detail", "worker_id")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    version: str
    state: str
    exit_code: int
    detail: str
    worker_id: str
    def __init__(self, version: _Optional[str] = ..., state: _Optional[str] = ..., exit_code: _Optional[int] = ..., detail: _Optional[str] = ..., worker_id: _Optional[str] = ...) -> None: ...

class AgentLog(_message.Message):
    __slots__ = ("line", "stream", "version")
    LINE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    line: str
    stream: str
    version: str
    def __init__(self, line: _Optional[str] = ..., stream: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...
