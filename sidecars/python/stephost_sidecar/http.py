"""HTTP bodies beyond JSON, on the sidecar's side of the wire.

Requests: the host sends the exact bytes received (``Invocation.raw_body``; a JSON body is
read from them, not sent twice) and where in them each multipart file's content lies
(``Invocation.file_ranges``; or copies in ``Invocation.files``) beside the JSON payload; the
handler gets them as
``req["rawBody"]`` (bytes), as its body when the host could not parse the content type
(``"bodyKind": "bytes"``), and as each uploaded file's ``"content"``.

Responses: a bytes body travels as ``InvocationResult.body_bytes``; an iterator body is
streamed (``response_stream.py``); anything else is JSON as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterator, Sequence
from typing import Any

from stephost_sidecar.proto import codec, pb

BINARY = (bytes, bytearray, memoryview)


def request_of(inv: pb.Invocation, req: Any) -> Any:
    """The api handler's ``req``: the payload with rawBody and any bytes filled in."""
    if not isinstance(req, dict):
        return req
    req["rawBody"] = inv.raw_body
    kind = req.get("bodyKind")
    if kind == "json" and "body" not in req:  # protocol 2: a JSON body crosses once, as these bytes
        req["body"] = codec.loads(inv.raw_body)
    elif kind == "bytes":
        req["body"] = inv.raw_body
    elif kind == "multipart" and isinstance(req.get("body"), dict):
        files = uploaded_files(inv)
        req["body"] = {name: _with_content(value, files) for name, value in req["body"].items()}
    return req


def uploaded_files(inv: pb.Invocation) -> Sequence[bytes]:
    """Each multipart file's content: its range of the raw bytes (protocol 2), or its copy."""
    if not inv.file_ranges:
        return inv.files
    raw = inv.raw_body
    for r in inv.file_ranges:
        if not r.start <= r.end <= len(raw):
            raise ValueError(f"multipart file range [{r.start}, {r.end}) is outside the {len(raw)}-byte body")
    return [raw[r.start : r.end] for r in inv.file_ranges]


def _with_content(value: Any, files: Sequence[bytes]) -> Any:
    """{"filename", "contentType", "size", "file": i} -> the same with "content": files[i]."""
    if isinstance(value, list):
        return [_with_content(v, files) for v in value]
    if isinstance(value, dict) and isinstance(value.get("file"), int):
        out = {k: v for k, v in value.items() if k != "file"}
        out["content"] = files[value["file"]]
        return out
    return value


def is_stream(body: Any) -> bool:
    """An async iterator/generator, or a sync iterator/generator (not str/bytes/list/dict:
    those are iterable, but not iterators)."""
    return isinstance(body, AsyncIterable) or (isinstance(body, Iterator) and not isinstance(body, BINARY))


def encode_response(response: dict[str, Any], result: pb.InvocationResult) -> None:
    """A normalised api response into the result: raw bytes, or JSON as before."""
    body = response.get("body")
    if isinstance(body, BINARY):
        result.body_bytes = bytes(body)
        result.result_json = codec.dumps({"status": response["status"], "headers": response["headers"]})
    else:
        result.result_json = codec.dumps(response)
