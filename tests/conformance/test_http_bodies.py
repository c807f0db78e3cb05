"""HTTP beyond JSON, the same in every language: request bodies by content type, rawBody
(webhook signatures), non-JSON responses and streamed responses (README.md beside this
file has the fixture steps: conf-body, conf-github, conf-slack, conf-csv, conf-png, conf-sse).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conformance import test_conformance as conformance
from tests.harness import HostProcess, eventually

# The same fixtures as test_conformance.py: a real host per language (one for this module).
host = conformance.host
http = conformance.http

SECRET = b"conf-secret"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b4944415478da636000020000050001e9fadcd80000000049454e44ae426082"
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def post_body(http: httpx.Client, content: bytes, content_type: str | None) -> dict[str, Any]:
    headers = {"content-type": content_type} if content_type else {}
    r = http.post("/body", content=content, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["rawSha256"] == sha256(content) and body["rawLength"] == len(content)
    return body


# -- request bodies -------------------------------------------------------------


def test_json_body_and_its_exact_raw_bytes(http: httpx.Client) -> None:
    raw = b'{ "a" :  [1, 2.50, "x"],\n\t"b": null }  '  # odd whitespace: rawBody keeps it
    body = post_body(http, raw, "application/json")
    assert body["kind"] == "object" and body["body"] == {"a": [1, 2.5, "x"], "b": None}


NESTED = "[" * 200 + "1" + "]" * 200


@pytest.mark.parametrize(
    "raw",
    [
        '{"é": "naïve ✓ 😀", "esc": "\\u00e9\\ud83d\\ude00\\n\\"", "n": [-0.5, 1e3, 9007199254740991]}'.encode(),
        '"just a string, é"'.encode(),
        b"  42.25 ",
        b"true",
        NESTED.encode(),
        # Not UTF-8: the host reads it (json's detection) and sends the value in the payload.
        '{"é": [1, "utf-16"]}'.encode("utf-16"),
    ],
    ids=["unicode-escapes-numbers", "string", "number", "boolean", "nested-200", "utf-16"],
)
def test_a_json_body_reads_the_same_in_every_language(http: httpx.Client, raw: bytes) -> None:
    """Since protocol 2 the sidecar reads a UTF-8 JSON body from the raw bytes itself: every
    language's parser gives the value the host checked."""
    body = post_body(http, raw, "application/json")
    assert body["body"] == json.loads(raw)


def test_a_lone_surrogate_escape_is_a_400_naming_it(http: httpx.Client) -> None:
    """Python's json reads "\\ud800" as a string, Ruby refuses it and UTF-8 has no form for it:
    the host answers for every language alike."""
    r = http.post("/body", content=b'{"a": "x\\ud800"}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "lone UTF-16 surrogate escape" in r.json()["error"]


def test_a_body_without_content_type_is_read_as_json_as_before(http: httpx.Client) -> None:
    body = post_body(http, b'{"n": 1}', None)
    assert body["kind"] == "object" and body["body"] == {"n": 1}


def test_invalid_json_keeps_its_400(http: httpx.Client) -> None:
    r = http.post("/body", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "request body is not valid JSON" in r.json()["error"]


def test_form_body_repeated_keys_become_lists(http: httpx.Client) -> None:
    raw = b"a=1&a=2&b=x+y&c=&d=%C3%A9"
    body = post_body(http, raw, "application/x-www-form-urlencoded")
    assert body["kind"] == "object"
    assert body["body"] == {"a": ["1", "2"], "b": "x y", "c": "", "d": "é"}


def test_multipart_fields_and_a_file_with_size_and_sha256(http: httpx.Client) -> None:
    content = bytes(range(256)) * 40 + b"\r\n--not-a-boundary\r\n"
    request = http.build_request(
        "POST",
        "/body",
        data={"title": "report", "tag": ["a", "b"]},
        files={"upload": ("data.bin", content, "application/x-thing")},
    )
    raw = request.read()
    body = post_body(http, raw, request.headers["content-type"])
    assert body["kind"] == "object"
    assert body["body"] == {
        "title": "report",
        "tag": ["a", "b"],
        "upload": {
            "filename": "data.bin",
            "contentType": "application/x-thing",
            "size": len(content),
            "sha256": sha256(content),
        },
    }


def test_text_body_is_a_string_decoded_with_its_charset(http: httpx.Client) -> None:
    assert post_body(http, "héllo\n".encode(), "text/plain")["body"] == "héllo\n"
    latin = post_body(http, "café".encode("latin-1"), "text/plain; charset=iso-8859-1")
    assert latin["kind"] == "string" and latin["body"] == "café"


def test_other_content_types_reach_the_handler_as_bytes(http: httpx.Client) -> None:
    raw = b"\x00\x01\xfe\xff binary"
    body = post_body(http, raw, "application/octet-stream")
    assert body == {
        "kind": "bytes",
        "body": {"bytes": raw.hex()},
        "rawSha256": sha256(raw),
        "rawLength": len(raw),
    }


def test_an_empty_body_is_null(http: httpx.Client) -> None:
    body = post_body(http, b"", "application/x-www-form-urlencoded")
    assert body["kind"] == "null" and body["rawLength"] == 0


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"a=%ff%fe", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\xfa", "text/plain; charset=utf-8"),
        (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1", "multipart/form-data; boundary=x"),
    ],
)
def test_a_body_its_content_type_cannot_parse_is_a_400_naming_the_type(
    http: httpx.Client, raw: bytes, content_type: str
) -> None:
    r = http.post("/body", content=raw, headers={"content-type": content_type})
    assert r.status_code == 400, r.text
    assert content_type.split(";")[0] in r.json()["error"]


# -- signatures over rawBody ----------------------------------------------------


def test_github_signature_over_the_exact_bytes(http: httpx.Client) -> None:
    raw = b'{"action":  "opened",\n "number": 1}'
    good = "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-github-event": "pull_request"}
    r = http.post("/github", content=raw, headers={**headers, "x-hub-signature-256": good})
    assert r.status_code == 200 and r.json() == {"ok": True, "action": "opened"}
    # The same JSON value re-serialised has other bytes: its signature no longer matches.
    r = http.post(
        "/github",
        content=json.dumps(json.loads(raw)).encode(),
        headers={**headers, "x-hub-signature-256": good},
    )
    assert r.status_code == 401 and r.json() == {"error": "bad signature"}


def slack_request(payload: dict[str, Any], secret: bytes) -> tuple[bytes, dict[str, str]]:
    raw = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }
    return raw, headers


def test_slack_signature_over_a_form_encoded_body(http: httpx.Client) -> None:
    payload = {"type": "block_actions", "actions": [{"action_id": "approve", "value": "s-1"}]}
    raw, headers = slack_request(payload, SECRET)
    r = http.post("/slack", content=raw, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "payload": payload}
    raw, headers = slack_request(payload, b"wrong-secret")
    r = http.post("/slack", content=raw, headers=headers)
    assert r.status_code == 401 and r.json() == {"error": "bad signature"}


# -- responses that are not JSON ------------------------------------------------


def test_a_csv_string_response_with_its_content_type(http: httpx.Client) -> None:
    r = http.get("/csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content == b"a,b\n1,2\n"


def test_an_html_page_arrives_as_its_utf8_bytes_with_its_charset(http: httpx.Client) -> None:
    r = http.get("/html")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content == "<!doctype html><p>héllo</p>".encode()


def test_a_png_bytes_response_arrives_byte_for_byte(http: httpx.Client) -> None:
    assert len(PNG) == 68
    r = http.get("/png")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.content == PNG and r.headers["content-length"] == "68"


# -- streamed responses ---------------------------------------------------------


def test_sse_events_arrive_in_order_as_they_are_produced(host: HostProcess) -> None:
    n, delay = 5, 0.2
    arrivals: list[tuple[float, str]] = []
    with httpx.Client(base_url=host.url, timeout=30) as client:
        with client.stream("GET", "/sse", params={"n": n, "delay": delay}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            buffer = ""
            for piece in r.iter_text():
                buffer += piece
                while "\n\n" in buffer:
                    event, buffer = buffer.split("\n\n", 1)
                    arrivals.append((time.monotonic(), event))
    assert [event for _, event in arrivals] == [f"data: {i}" for i in range(1, n + 1)]
    # The first event reached the client well before the last was produced: it was streamed,
    # not buffered (a loose bound: this is ordering, not the host's speed).
    assert arrivals[-1][0] - arrivals[0][0] >= 0.5 * (n - 1) * delay


def test_a_client_that_goes_away_cancels_the_handler(host: HostProcess, http: httpx.Client) -> None:
    sid = conformance.uid()
    with httpx.Client(base_url=host.url, timeout=30) as client:
        with client.stream("GET", "/sse", params={"n": 100, "delay": 0.2, "id": sid}) as r:
            assert r.status_code == 200
            first = next(r.iter_text())
            assert first.startswith("data: 1")
        # Leaving both blocks closes the connection mid-stream.
    cancelled = eventually(
        lambda: http.get(f"/state/conf-sse/cancelled-{sid}").json(),
        timeout=15,
        what="the handler to be cancelled",
    )
    assert cancelled is True


FLOOD_CHUNK = 64 * 1024
FLOOD_POLL = 0.5  # seconds between two reads of conf-flood's count


def settled(read: Callable[[], int]) -> Callable[[], tuple[int] | None]:
    """A check for eventually(): the count once two reads one poll interval apart agree."""
    previous: list[int] = []

    def check() -> tuple[int] | None:
        now = read()
        steady = previous == [now]
        previous[:] = [now]
        return (now,) if steady else None

    return check


def test_a_client_that_stops_reading_makes_the_handler_wait(host: HostProcess, http: httpx.Client) -> None:
    n, fid = 2000, conformance.uid()

    def produced() -> int:
        return int(http.get(f"/state/conf-flood/{fid}").json() or 0)

    with httpx.Client(base_url=host.url, timeout=30) as client:
        with client.stream("GET", "/flood", params={"id": fid, "n": n}) as r:
            assert r.status_code == 200
            pieces = r.iter_raw()
            received = len(next(pieces))
            # The client reads nothing more: once the socket buffers and the sidecar's window of
            # unacknowledged chunks are full, the handler must stop producing and wait.
            (stalled,) = eventually(
                settled(produced), timeout=15, interval=FLOOD_POLL, what="conf-flood to stop producing"
            )
            assert stalled < n // 2, (
                f"the handler produced {stalled} of {n} chunks for a client that stopped reading"
            )
            received += sum(len(piece) for piece in pieces)
    assert received == n * FLOOD_CHUNK
    assert eventually(lambda: produced() == n, timeout=15, what="conf-flood to record all its chunks")
