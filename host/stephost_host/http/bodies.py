"""Request bodies by content type: what an api step's handler gets as its ``body``.

One function per content type. Every api request also carries the exact bytes received
(``rawBody``, for webhook signatures), so nothing here needs to preserve them. A body its
content type cannot parse is a ``BadBody`` (400) naming the content type.

| content type | ``bodyKind`` | ``body`` |
|---|---|---|
| none, ``application/json``, ``*+json`` | ``json`` | the JSON value (blank: null) |
| ``application/x-www-form-urlencoded`` | ``form`` | object; a repeated name gives a list |
| ``multipart/form-data`` | ``multipart`` | fields as in a form; a file is an object with an index into ``files`` (or ``file_ranges``) |
| ``text/*`` | ``text`` | the text, decoded with its charset (default UTF-8) |
| anything else | ``bytes`` | null: the handler's body is the raw bytes |
| (no bytes at all, any type) | ``empty`` | null |
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header

from stephost_wire import codec

# \uD800-\uDFFF in JSON text (JSON's escapes are lower-case \u; the hex digits are either case).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# A form or multipart body with more parts than this is refused: each costs far more
# than its bytes, so the body size limit alone does not bound the work.
MAX_FORM_FIELDS = 1000
# Headers of one multipart part (Content-Disposition, Content-Type, ...).
MAX_PART_HEADERS = 16
# The parser logs a warning for every malformed body before raising; the client gets that
# reason in its 400, and no client should be able to write to the host's log at will.
logging.getLogger("python_multipart.multipart").setLevel(logging.ERROR)


class BadBody(ValueError):
    """The body does not parse as its content type says; the message is the client's."""


@dataclass
class Body:
    kind: str  # json, form, multipart, text, bytes, empty
    value: Any = None
    files: list[bytes] = field(default_factory=list)  # multipart file contents, or else
    # where they lie in the raw bytes ([start, end) each): an upload crosses the link once.
    file_ranges: list[tuple[int, int]] = field(default_factory=list)
    # The raw bytes are the value's JSON text as every language reads it (UTF-8, no BOM, not
    # blank): the sidecar reads the body there, so it crosses the link once, not twice.
    in_raw: bool = False


def multi_dict(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Values are a string, or a list of strings when the name repeats (queries, forms)."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            prev = out[name]
            out[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[name] = value
    return out


def parse(raw: bytes, content_type: str | None) -> Body:
    """The body of a request with this content-type header (None: the header is absent)."""
    if not raw:  # whatever the type says (most requests: a GET)
        return Body("empty")
    media, options = _media_type(content_type or "")
    if content_type is None or media == "application/json" or media.endswith("+json"):
        # No content type: read as JSON, as every request was before other types were.
        return parse_json_body(raw)
    if media == "application/x-www-form-urlencoded":
        return Body("form", parse_form(raw, options.get("charset", "utf-8"), media))
    if media == "multipart/form-data":
        return parse_multipart(raw, options.get("boundary", ""), media)
    if media.startswith("text/"):
        return Body("text", decode_text(raw, options.get("charset", "utf-8"), media))
    return Body("bytes")


def _media_type(header: str) -> tuple[str, dict[str, str]]:
    media, params = parse_options_header(header)
    options = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in params.items()}
    return media.decode("latin-1").lower(), options


def parse_json_body(raw: bytes) -> Body:
    """A JSON body; ``in_raw`` when the sidecar can read the same value from the raw bytes."""
    value = parse_json(raw)
    # Python reads surrogate escapes, Ruby refuses one alone: such a body (a valid pair too:
    # rare, and correct either way) goes in the payload, where a lone one could not.
    surrogates = b"\\u" in raw and _SURROGATE_ESCAPE.search(raw) is not None
    if surrogates:
        _refuse_lone_surrogates(value)
    return Body("json", value, in_raw=bool(raw.strip()) and not surrogates and _plain_utf8(raw))


def _refuse_lone_surrogates(value: Any) -> None:
    """Python reads an escaped surrogate without its pair as a string; Ruby refuses it, and it
    has no UTF-8 form for the sidecar link: the client gets a 400 naming it."""
    try:
        codec.dumps(value).encode("utf-8")
    except UnicodeEncodeError:
        raise BadBody(
            "request body refused: it holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without "
            "its pair), which other languages cannot read"
        ) from None


def _plain_utf8(raw: bytes) -> bool:
    """UTF-8 with no BOM, which every sidecar's parser reads as the host did: not UTF-16/32,
    which Python's json detects, nor raw surrogates, which it reads with surrogatepass."""
    if json.detect_encoding(raw) != "utf-8":  # reads the first four bytes only
        return False
    if raw.isascii():  # most bodies: one fast scan, no decode
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_json(raw: bytes | str) -> Any:
    """JSON (blank: None) as every language reads it; BadBody with the message a client gets."""
    if not raw.strip():
        return None
    try:
        return codec.loads_checked(raw)
    except codec.JsonRefused as exc:  # parses in Python, but no other language would read it
        raise BadBody(f"request body refused: {exc}") from None
    except ValueError as exc:
        raise BadBody(f"request body is not valid JSON: {exc}") from None


def decode_text(raw: bytes, charset: str, media: str) -> str:
    try:
        return raw.decode(_codec_name(charset, media))
    except UnicodeDecodeError as exc:
        raise BadBody(f"request body is not valid {charset} text ({media}): {exc.reason}") from None


def _codec_name(charset: str, media: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        raise BadBody(f"request body's charset {charset!r} is not known ({media})") from None


def parse_form(raw: bytes, charset: str, media: str) -> dict[str, Any]:
    """``a=1&a=2&b=x`` -> {"a": ["1", "2"], "b": "x"}, the same shape as query parameters."""
    name = _codec_name(charset, media)
    try:
        text = raw.decode("ascii")  # percent-encoded: anything beyond ASCII is malformed
        pairs = parse_qsl(
            text, keep_blank_values=True, encoding=name, errors="strict", max_num_fields=MAX_FORM_FIELDS
        )
    except UnicodeDecodeError as exc:
        raise BadBody(f"request body is not valid {media} ({charset}): {exc.reason}") from None
    except ValueError as exc:  # too many fields
        raise BadBody(f"request body is not accepted as {media}: {exc}") from None
    return multi_dict(pairs)


class _Part:
    def __init__(self) -> None:
        self.headers: dict[str, bytes] = {}
        self.data: list[tuple[bytes, int, int]] = []  # (buffer, start, end) as the parser gave them

    def content(self) -> bytes:
        return b"".join(buf[start:end] for buf, start, end in self.data)

    def span_in(self, raw: bytes) -> tuple[int, int] | None:
        """Where the content lies in ``raw`` when the parser gave it as one run of it: all of
        a part's bytes are, written in one go; None otherwise (then it is copied)."""
        if not self.data:
            return (0, 0)
        at = self.data[0][1]
        for buf, start, end in self.data:
            if buf is not raw or start != at:
                return None
            at = end
        return (self.data[0][1], at)


def parse_multipart(raw: bytes, boundary: str, media: str) -> Body:
    """Fields like a form's; each file as {"filename", "contentType", "size", "file": index}."""
    if not boundary:
        raise BadBody(f"request body cannot be read: {media} needs a boundary parameter")
    parts: list[_Part] = []
    header: list[bytes] = [b"", b""]
    ended = False

    def begin() -> None:
        if len(parts) >= MAX_FORM_FIELDS:
            raise BadBody(f"request body has more than {MAX_FORM_FIELDS} parts ({media})")
        parts.append(_Part())

    def header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def header_end() -> None:
        parts[-1].headers[header[0].decode("latin-1").lower()] = header[1]
        header[0] = header[1] = b""

    def part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data.append((data, start, end))

    def end() -> None:
        nonlocal ended
        ended = True

    callbacks: Any = {
        "on_part_begin": begin,
        "on_header_field": header_field,
        "on_header_value": header_value,
        "on_header_end": header_end,
        "on_part_data": part_data,
        "on_end": end,
    }
    try:
        parser = MultipartParser(boundary, callbacks, max_header_count=MAX_PART_HEADERS)
        parser.write(raw)
        parser.finalize()
    except BadBody:
        raise
    except Exception as exc:  # the library's parse errors (MultipartParseError, FormParserError)
        raise BadBody(f"request body is not valid {media}: {exc}") from None
    if not ended:
        raise BadBody(f"request body is not valid {media}: it ends before the closing boundary")
    return _fields(parts, raw, media)


def _fields(parts: list[_Part], raw: bytes, media: str) -> Body:
    pairs: list[tuple[str, Any]] = []
    uploads: list[_Part] = []
    for part in parts:
        _, disposition = parse_options_header(part.headers.get("content-disposition", b""))
        name = disposition.get(b"name")
        if name is None:
            raise BadBody(f"request body is not valid {media}: a part has no Content-Disposition name")
        filename = disposition.get(b"filename")
        if filename is None:
            value: Any = decode_text(part.content(), "utf-8", media)
        else:
            ctype = part.headers.get("content-type", b"application/octet-stream")
            value = {
                "filename": filename.decode("utf-8", "replace"),
                "contentType": ctype.decode("latin-1"),
                "size": sum(end - start for _, start, end in part.data),
                "file": len(uploads),
            }
            uploads.append(part)
        pairs.append((name.decode("utf-8", "replace"), value))
    ranges = [span for span in (part.span_in(raw) for part in uploads) if span is not None]
    if len(ranges) == len(uploads):
        return Body("multipart", multi_dict(pairs), file_ranges=ranges)
    return Body("multipart", multi_dict(pairs), [part.content() for part in uploads])
