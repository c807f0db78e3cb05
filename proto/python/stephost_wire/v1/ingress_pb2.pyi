from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EmitRequest(_message.Message):
    __slots__ = ("topic", "data_json", "message_group_id", "idempotency_key", "trace_id")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    topic: str
    data_json: str
    message_group_id: str
    idempotency_key: str
    trace_id: str
    def __init__(self, topic: _Optional[str] = ..., data_json: _Optional[str] = ..., message_group_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., trace_id: _Optional[str] = ...) -> None: ...

class EmitReceipt(_message.Message):
    __slots__ = ("trace_id", "stream", "sequence", "duplicate")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    stream: str
    sequence: int
    duplicate: bool
    def __init__(self, trace_id: _Optional[str] = ..., stream: _Optional[str] = ..., sequence: _Optional[int] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class EmitBatchRequest(_message.Message):
    __slots__ = ("events", "batch_id")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EmitRequest]
    batch_id: str
    def __init__(self, events: _Optional[_Iterable[_Union[EmitRequest, _Mapping]]] = ..., batch_id: _Optional[str] = ...) -> None: ...

class EmitBatchResponse(_message.Message):
    __slots__ = ("receipts",)
    RECEIPTS_FIELD_NUMBER: _ClassVar[int]
    receipts: _containers.RepeatedCompositeFieldContainer[EmitReceipt]
    def __init__(self, receipts: _Optional[_Iterable[_Union[EmitReceipt, _Mapping]]] = ...) -> None: ...

class EmitStreamRequest(_message.Message):
    __slots__ = ("emits",)
    EMITS_FIELD_NUMBER: _ClassVar[int]
    emits: _containers.RepeatedCompositeFieldContainer[StreamedEmit]
    def __init__(self, emits: _Optional[_Iterable[_Union[StreamedEmit, _Mapping]]] = ...) -> None: ...

class StreamedEmit(_message.Message):
    __slots__ = ("id", "event", "traceparent")
    ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    id: int
    event: EmitRequest
    traceparent: str
    def __init__(self, id: _Optional[int] = ..., event: _Optional[_Union[EmitRequest, _Mapping]] = ..., traceparent: _Optional[str] = ...) -> None: ...

class EmitStreamResponse(_message.Message):
    __slots__ = ("receipts",)
    RECEIPTS_FIELD_NUMBER: _ClassVar[int]
    receipts: _containers.RepeatedCompositeFieldContainer[StreamedReceipt]
    def __init__(self, receipts: _Optional[_Iterable[_Union[StreamedReceipt, _Mapping]]] = ...) -> None: ...

class StreamedReceipt(_message.Message):
    __slots__ = ("id", "receipt", "error_code", "error_message")
    ID_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: int
    receipt: EmitReceipt
    error_code: str
    error_message: str
    def __init__(self, id: _Optional[int] = ..., receipt: _Optional[_Union[EmitReceipt, _Mapping]] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class GetStateRequest(_message.Message):
    __slots__ = ("group", "key")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    group: str
    key: str
    def __init__(self, group: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class SetStateRequest(_message.Message):
    __slots__ = ("group", "key", "value_json", "expected_revision")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    group: str
    key: str
    value_json: str
    expected_revision: int
    def __init__(self, group: _Optional[str] = ..., key: _Optional[str] = ..., value_json: _Optional[str] = ..., expected_revision: _Optional[int] = ...) -> None: ...

class DeleteStateRequest(_message.Message):
    __slots__ = ("group", "key")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    group: str
    key: str
    def __init__(self, group: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class StateValue(_message.Message):
    __slots__ = ("found", "value_json", "revision")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    found: bool
    value_json: str
    revision: int
    def __init__(self, found: _Optional[bool] = ..., value_json: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class GetGroupRequest(_message.Message):
    __slots__ = ("group",)
    GROUP_FIELD_NUMBER: _ClassVar[int]
    group: str
    def __init__(self, group: _Optional[str] = ...) -> None: ...

class StateGroup(_message.Message):
    __slots__ = ("values_json",)
    VALUES_JSON_FIELD_NUMBER: _ClassVar[int]
    values_json: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values_json: _Optional[_Iterable[str]] = ...) -> None: ...

class GetStreamItemRequest(_message.Message):
    __slots__ = ("stream", "group_id", "id")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    stream: str
    group_id: str
    id: str
    def __init__(self, stream: _Optional[str] = ..., group_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class StreamItem(_message.Message):
    __slots__ = ("found", "item_json")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    ITEM_JSON_FIELD_NUMBER: _ClassVar[int]
    found: bool
    item_json: str
    def __init__(self, found: _Optional[bool] = ..., item_json: _Optional[str] = ...) -> None: ...

class GetStreamGroupRequest(_message.Message):
    __slots__ = ("stream", "group_id")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    stream: str
    group_id: str
    def __init__(self, stream: _Optional[str] = ..., group_id: _Optional[str] = ...) -> None: ...

class StreamGroup(_message.Message):
    __slots__ = ("items_json",)
    ITEMS_JSON_FIELD_NUMBER: _ClassVar[int]
    items_json: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, items_json: _Optional[_Iterable[str]] = ...) -> None: ...

class SubscribeStreamRequest(_message.Message):
    __slots__ = ("stream", "group_id", "id")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    stream: str
    group_id: str
    id: str
    def __init__(self, stream: _Optional[str] = ..., group_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class StreamChange(_message.Message):
    __slots__ = ("type", "id", "data_json", "event_type")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    type: str
    id: str
    data_json: str
    event_type: str
    def __init__(self, type: _Optional[str] = ..., id: _Optional[str] = ..., data_json: _Optional[str] = ..., event_type: _Optional[str] = ...) -> None: ...

class ListStepsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListStepsResponse(_message.Message):
    __slots__ = ("steps",)
    STEPS_FIELD_NUMBER: _ClassVar[int]
    steps: _containers.RepeatedCompositeFieldContainer[StepInfo]
    def __init__(self, steps: _Optional[_Iterable[_Union[StepInfo, _Mapping]]] = ...) -> None: ...

class StepInfo(_message.Message):
    __slots__ = ("name", "type", "language", "file", "live", "flows", "subscribes", "emits", "method", "path", "cron", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LIVE_FIELD_NUMBER: _ClassVar[int]
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBES_FIELD_NUMBER: _ClassVar[int]
    EMITS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    language: str
    file: str
    live: bool
    flows: _containers.RepeatedScalarFieldContainer[str]
    subscribes: _containers.RepeatedScalarFieldContainer[str]
    emits: _containers.RepeatedScalarFieldContainer[str]
    method: str
    path: str
    cron: str
    description: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., language: _Optional[str] = ..., file: _Optional[str] = ..., live: _Optional[bool] = ..., flows: _Optional[_Iterable[str]] = ..., subscribes: _Optional[_Iterable[str]] = ..., emits: _Optional[_Iterable[str]] = ..., method: _Optional[str] = ..., path: _Optional[str] = ..., cron: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...
