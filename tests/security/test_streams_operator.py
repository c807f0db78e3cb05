"""The host's secret (the admin token the Workbench holds) joins any stream over the
WebSocket, past the project's stream auth, as the admin API's /stream-groups reads do; the
project's users still go through its hook and access checks (test_streams_auth_doors.py)."""

from __future__ import annotations

from tests.security.test_streams_auth_doors import STREAMS, Env, env  # noqa: F401 (the fixture: a host of its own)
from tests.streams_client import StreamClient


def test_the_hosts_secret_joins_every_protected_stream_and_sees_changes(env: Env) -> None:  # noqa: F811
    operator = StreamClient(env.host.url, token=env.host.secret)
    try:
        for n, (stream, group) in enumerate(STREAMS):
            operator.join(stream, group, sub=f"s{n}")
            assert operator.next()["event"] == {"type": "sync", "data": [{"title": "note", "id": "note"}]}
        env.put("private", "alice", "later")  # a change after the join arrives live
        frame = operator.next()
        assert (frame["streamName"], frame["id"], frame["event"]["type"]) == ("private", "later", "create")
    finally:
        operator.close()
    # Any other token is still the project's hook and access checks to judge.
    other = StreamClient(env.host.url, token="bob-token")
    try:
        other.join("private", "alice")
        assert other.next()["event"]["event"]["data"]["code"] == "forbidden"
    finally:
        other.close()
