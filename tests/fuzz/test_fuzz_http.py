"""Random HTTP requests against a real host: methods, paths, headers, query strings, bodies.

A failure is a 5xx without an ``errorId`` in a JSON body, a connection the server drops
without a complete response, a request it never answers, or the host or a sidecar
restarting (FuzzHost.assert_unchanged).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import strategies as fz
from tests.fuzz.conftest import FuzzHost, fuzz

ROUTES = ["/fuzz/py/{}", "/fuzz/node/{}", "/fuzz/rb/{}", "/fuzz/py", "/__stephost/{}", "/{}", ""]
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]) | st.from_regex(
    r"[A-Z]{1,12}", fullmatch=True
)
segment = (
    fz.text.map(lambda s: quote(s, safe=""))
    | st.sampled_from(["..", ".", "%00", "%2F", "%ZZ", "%", "a%20b", ":id", "x" * 3000, "health", "steps"])
    | st.from_regex(r"[A-Za-z0-9_~-]{0,20}", fullmatch=True)
)
paths = st.builds(
    lambda route, seg, tail: route.format(seg) + tail,
    st.sampled_from(ROUTES),
    segment,
    st.sampled_from(["", "/", "/x", "//"]),
)
query = st.lists(st.tuples(fz.text, fz.text), max_size=6).map(
    lambda pairs: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
) | st.sampled_from(["", "a", "a=1&a=2&a", "%zz=%", "&&=&", "x=" + "y" * 5000])

# Header names are tokens; values are Latin-1 without control characters (what HTTP/1.1 can carry).
# Framing headers are left to the client: a wrong Content-Length is a broken connection by design.
header_name = st.from_regex(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,30}", fullmatch=True).filter(
    lambda n: (
        n.lower()
        not in {"host", "content-length", "transfer-encoding", "connection", "upgrade", "expect", "te"}
    )
)
header_value = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=200
).map(str.strip)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "application/octet-stream",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "",
        "*/*",
        "json",
    ]
)
headers = st.dictionaries(header_name, header_value, max_size=8).flatmap(
    lambda h: st.fixed_dictionaries(
        {},
        optional={
            "content-type": content_types,
            "x-trace-id": header_value | fz.text.filter(str.isprintable),
        },
    ).map(lambda extra: {**h, **{k: v for k, v in extra.items() if v.isascii()}})
)
bodies = (
    st.just(b"")
    | fz.values.map(lambda v: json.dumps(v).encode())
    | fz.json_text_with_large.map(lambda s: s.encode("utf-8", "surrogatepass"))
    | st.binary(max_size=4000)
)


# One client (making one costs more than a request), and a fresh connection for every request:
# a dropped connection is that request's, never a stale keep-alive one's.
CLIENT = httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def as_doubles(value: Any) -> Any:
    return json.loads(json.dumps(value), parse_int=float)


def check(method: str, url: str, response: httpx.Response) -> None:
    if response.status_code < 500:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = response.content[:300]
    assert isinstance(body, dict) and body.get("errorId"), (
        f"{method} {url} -> {response.status_code} without an errorId: {body!r}"
    )


@fuzz()
@given(method=METHODS, path=paths, query=query, headers=headers, body=bodies)
def test_random_requests_get_answers(
    fuzz_host: FuzzHost, method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> None:
    url = fuzz_host.host.url + (path or "/") + ("?" + query if query else "")
    raw = {k: v.encode("latin-1") for k, v in headers.items()}
    try:
        response = CLIENT.request(method, url, headers=raw, content=body)
    except httpx.TransportError as exc:
        raise AssertionError(f"{method} {url}: no complete response ({type(exc).__name__}: {exc})") from exc
    check(method, url, response)


@fuzz(examples=150)
@given(lang=st.sampled_from(["py", "node", "rb"]), value=fz.values, item=fz.text)
def test_every_language_echoes_what_it_was_sent(
    fuzz_host: FuzzHost, lang: str, value: Any, item: str
) -> None:
    """Valid JSON, a valid route: a 200 from the step, with the body it was given."""
    url = f"{fuzz_host.host.url}/fuzz/{lang}/{quote(item, safe='') or 'x'}"
    response = CLIENT.post(url, content=json.dumps(value), headers={"content-type": "application/json"})
    check("POST", url, response)
    assert response.status_code == 200, response.text
    assert response.json()["language"] == {"py": "python", "node": "node", "rb": "ruby"}[lang]
    # JSON numbers are doubles in JavaScript: compare every number as one.
    assert as_doubles(response.json()["body"]) == as_doubles(value)


def test_the_host_survived(fuzz_host: FuzzHost) -> None:
    fuzz_host.assert_unchanged()
