"""Random frames on the stream WebSocket: text and binary, JSON shaped near the join protocol.

After the random frames each connection must still answer a real join with its sync. A
failure is a connection the server closes without an error frame first, a join that gets
no answer, or the host or a sidecar restarting (FuzzHost.assert_unchanged).
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.fuzz import strategies as fz
from tests.fuzz.conftest import FuzzHost, fuzz

# notes: open; guarded: the Node sidecar's canAccess ("ok-..."); crew: Ruby's can_access ("crew-...").
streams = st.sampled_from(["notes", "guarded", "crew", "nope", ""]) | fz.text
groups = st.sampled_from(["g", "ok-1", "crew-a", "a.b", "*", ">", "a b", "ok-*", "crew->"]) | fz.text
room = st.fixed_dictionaries(
    {},
    optional={
        "streamName": streams | fz.values,
        "groupId": groups | fz.values,
        "id": st.none() | fz.text | fz.values,
        "subscriptionId": fz.text | fz.values,
    },
)
protocol = st.fixed_dictionaries(
    {"type": st.sampled_from(["join", "leave"]) | fz.text | fz.values},
    optional={"data": room | fz.values, "timestamp": fz.values},
)
# Well-formed joins and leaves most of the time, so the paths past the shape checks are walked.
valid = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["join", "leave"]),
        "data": st.fixed_dictionaries(
            {"streamName": st.sampled_from(["notes", "guarded", "crew"]), "groupId": groups},
            optional={"id": fz.text, "subscriptionId": fz.text},
        ),
    }
)
text_frames = (
    valid.map(json.dumps)
    | protocol.map(json.dumps)
    | fz.values.map(json.dumps)
    | fz.deep()
    | fz.refused
    | fz.text
)
frames = st.lists(text_frames | st.binary(max_size=300), min_size=1, max_size=6)
queries = st.sampled_from(["", "?authToken=x", "?token=", "?a=%zz&b"]) | fz.text.map(
    lambda s: "?q=" + quote(s, safe="")
)
subprotocols = st.sampled_from([None, ["Authorization", "t"], ["Authorization"], ["other"]])

_probes = itertools.count()


def probe(ws: Any) -> None:
    """Join a fresh group of the open stream; wait for its sync (other frames may come first)."""
    group = f"probe-{next(_probes)}"
    try:
        ws.send(json.dumps({"type": "join", "data": {"streamName": "notes", "groupId": group}}))
    except ConnectionClosed:
        pass  # the frames it sent before closing are still read below
    last: dict[str, Any] = {}
    while True:
        try:
            raw = ws.recv(timeout=20)
        except ConnectionClosed as exc:
            assert last.get("type") == "error", (
                f"the server closed the socket (code {exc.rcvd.code if exc.rcvd else None}) "
                f"with no error frame; last frame {last!r}"
            )
            return
        except TimeoutError:
            raise AssertionError(f"no sync for the probe join of {group!r}") from None
        frame = json.loads(raw)
        assert isinstance(frame, dict), frame
        last = frame
        if frame.get("groupId") == group and frame.get("event", {}).get("type") == "sync":
            return


@fuzz()
@given(frames=frames, query=queries, protocols=subprotocols)
def test_random_frames_never_break_the_socket(
    fuzz_host: FuzzHost, frames: list[str | bytes], query: str, protocols: list[str] | None
) -> None:
    url = fuzz_host.host.url.replace("http://", "ws://") + "/" + query
    try:
        ws = connect(url, subprotocols=protocols, open_timeout=20, max_size=None)  # type: ignore[arg-type]
    except InvalidStatus as exc:  # a refused upgrade is an answer (not a 5xx, though)
        assert exc.response.status_code < 500, exc.response
        return
    with ws:
        try:
            for frame in frames:
                ws.send(frame)
        except ConnectionClosed:
            pass  # probe() says whether an error frame came first
        probe(ws)


def test_the_host_survived(fuzz_host: FuzzHost) -> None:
    fuzz_host.assert_unchanged()
