"""The host's request-body parsing and the host end of a streamed response, in process."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from stephost_host.errors import InvocationTimeout, StepFailed
from stephost_host.http.bodies import MAX_FORM_FIELDS, BadBody, parse
from stephost_host.link.response_stream import ResponseStream, StreamCancelled
from stephost_wire.v1 import sidecar_pb2 as pb


def test_each_content_type_gets_its_kind() -> None:
    assert parse(b"", "application/json").kind == "empty"
    assert (parse(b" [1] ", None).kind, parse(b" [1] ", None).value) == ("json", [1])
    assert parse(b'{"a": 1}', "application/vnd.api+json").value == {"a": 1}
    assert parse(b"a=1&a=2&b=", "application/x-www-form-urlencoded").value == {"a": ["1", "2"], "b": ""}
    assert parse("é".encode("utf-16"), "text/plain; charset=utf-16").value == "é"
    assert (parse(b"\x00", "image/png").kind, parse(b"\x00", "image/png").value) == ("bytes", None)


def test_a_json_body_crosses_the_link_in_the_raw_bytes_only_when_every_sidecar_reads_them_alike() -> None:
    """``in_raw``: the sidecar reads the body from the raw bytes (UTF-8, not blank); anything
    else is parsed by the host and sent in the payload as before."""
    assert (parse(' {"é": [1]} '.encode(), None).in_raw, parse(b"[1]", "text/x+json").in_raw) == (True, True)
    utf16 = parse('{"é": 1}'.encode("utf-16-le"), "application/json")
    assert (utf16.value, utf16.in_raw) == ({"é": 1}, False)
    assert (parse(b"  ", "application/json").value, parse(b"  ", "application/json").in_raw) == (None, False)
    # An escaped surrogate pair is read by the host and sent in the payload; one alone is a 400.
    pair = parse(b'{"s": "\\ud83d\\uDE00"}', "application/json")
    assert (pair.value, pair.in_raw) == ({"s": "\U0001f600"}, False)
    with pytest.raises(BadBody, match="lone UTF-16 surrogate escape"):
        parse(b'["ok", "\\udc00"]', "application/json")
    assert not any(
        parse(raw, ctype).in_raw
        for raw, ctype in [
            (b"a=1", "application/x-www-form-urlencoded"),
            (b"x", "text/plain"),
            (b"\x00", "image/png"),
        ]
    )


def test_multipart_files_are_indexed_and_repeated_names_are_lists() -> None:
    request = httpx.Request(
        "POST",
        "http://h/",
        data={"f": "1"},
        files=[("up", ("a.txt", b"A", "text/plain")), ("up", ("b.bin", b"BB", "application/x-b"))],
    )
    raw = request.read()
    body = parse(raw, request.headers["content-type"])
    # The files are where they lie in the raw bytes, not copies: an upload crosses the link once.
    assert body.kind == "multipart" and body.files == []
    assert [raw[start:end] for start, end in body.file_ranges] == [b"A", b"BB"]
    assert body.value == {
        "f": "1",
        "up": [
            {"filename": "a.txt", "contentType": "text/plain", "size": 1, "file": 0},
            {"filename": "b.bin", "contentType": "application/x-b", "size": 2, "file": 1},
        ],
    }


def test_a_multipart_file_with_boundary_like_bytes_and_an_empty_one_lie_exactly_in_the_raw_bytes() -> None:
    tricky = b"\r\n--boundar\r\n--\r\n-" + bytes(range(256)) + b"\r\n--b"
    request = httpx.Request(
        "POST",
        "http://h/",
        files=[("up", ("t.bin", tricky, "application/x-b")), ("none", ("e.txt", b"", "text/plain"))],
    )
    raw = request.read()
    body = parse(raw, request.headers["content-type"])
    assert [raw[start:end] for start, end in body.file_ranges] == [tricky, b""]
    assert [body.value["up"]["size"], body.value["none"]["size"]] == [len(tricky), 0]


@pytest.mark.parametrize(
    ("raw", "ctype", "message"),
    [
        (b"x", "multipart/form-data", "needs a boundary parameter"),
        (
            b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
            "no Content-Disposition name",
        ),
        ("a=é".encode(), "application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        (b"x", "text/plain; charset=klingon", "charset 'klingon' is not known"),
        (
            "&".join(["a=1"] * (MAX_FORM_FIELDS + 1)).encode(),
            "application/x-www-form-urlencoded",
            "not accepted",
        ),
    ],
)
def test_bodies_their_type_cannot_parse_are_refused_with_the_reason(
    raw: bytes, ctype: str, message: str
) -> None:
    with pytest.raises(BadBody, match=message):
        parse(raw, ctype)


def test_a_multipart_body_with_too_many_parts_is_refused() -> None:
    part = b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
    with pytest.raises(BadBody, match=f"more than {MAX_FORM_FIELDS} parts"):
        parse(part * (MAX_FORM_FIELDS + 1) + b"--b--\r\n", "multipart/form-data; boundary=b")


def stream(sent: list[pb.HostMessage], cancelled: list[str]) -> ResponseStream:
    first = pb.ResponseChunk(invocation_id="i", seq=1, data=b"one", status=200, headers_json='{"x": "1"}')
    return ResponseStream("i", first, sent.append, cancelled.append)


async def test_a_stream_yields_its_chunks_until_the_result_and_acks_reach_the_sidecar() -> None:
    sent: list[pb.HostMessage] = []
    s = stream(sent, [])
    assert (s.status, s.headers) == (200, {"x": "1"})
    s.put(pb.ResponseChunk(invocation_id="i", seq=2, data=b"two"))
    s.put(pb.InvocationResult(invocation_id="i", streamed=True))
    got = []
    async for chunk in s.chunks():
        got.append(chunk.data)
        s.ack(chunk.seq)
    assert got == [b"one", b"two"] and [m.chunk_ack.seq for m in sent] == [1, 2]


async def test_a_silent_stream_times_out_and_is_cancelled_and_an_error_result_raises() -> None:
    cancelled: list[str] = []
    s = stream([], cancelled)
    s.idle_timeout = 0.05
    chunks = s.chunks()
    assert (await anext(chunks)).data == b"one"
    with pytest.raises(InvocationTimeout, match=r"sent no chunk for 0\.05s"):
        await anext(chunks)
    assert cancelled == ["sent no chunk for 0.05s"]

    failing = stream([], [])
    failing.put(pb.InvocationResult(invocation_id="i", error=pb.StepError(type="E", message="boom")))
    with pytest.raises(StepFailed, match="E: boom"):
        async for _ in failing.chunks():
            pass


async def test_cancelling_wakes_a_waiting_reader() -> None:
    cancelled: list[str] = []
    s = stream([], cancelled)
    chunks = s.chunks()
    await anext(chunks)
    waiting = asyncio.ensure_future(anext(chunks))
    await asyncio.sleep(0)
    s.cancel("the client went away")
    with pytest.raises(StreamCancelled):
        await waiting
    assert cancelled == ["the client went away"]
