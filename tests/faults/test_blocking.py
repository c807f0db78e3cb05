"""One blocking handler must not take a whole language down (hardening item 9).

Real host, real nats-server, real sidecars started by the host's supervisor. The harness
runs heartbeats every second, so the host drops a sidecar that is silent for 3 s.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from typing import Any

import httpx
import pytest

from tests.harness import ROOT, eventually

PROJECTS = ROOT / "tests" / "projects"
FAST_WATCHDOG = {"STEPHOST_BLOCK_WARN_MS": "300"}


def test_a_blocked_async_handler_does_not_drop_the_sidecar_and_is_named(start_host: Any) -> None:
    """An async handler that time.sleep()s stops its event loop: the other async steps of that
    sidecar wait (inherent to one blocked asyncio loop) but are not failed, the heartbeats go on
    (a thread calls the host's Beat while the loop is blocked), and the watchdog names the step in the host log."""
    host = start_host(PROJECTS / "blocking", live_steps=2, env=FAST_WATCHDOG)
    assert httpx.get(f"{host.url}/ping", timeout=10).status_code == 200

    blocked: dict[str, httpx.Response] = {}

    def block() -> None:
        # Longer than the host's heartbeat timeout (3 x 1 s) with room to spare.
        blocked["r"] = httpx.get(f"{host.url}/block", params={"seconds": "5"}, timeout=30)

    caller = threading.Thread(target=block)
    caller.start()
    warning = eventually(
        lambda: host.log_lines("event loop has been blocked", "blocker"),
        timeout=10,
        what="the watchdog's warning naming the blocking step",
    )
    assert "steps/blocker_step.py" in warning[0] and "asyncio.to_thread" in warning[0]
    # Called while the loop is blocked, ping waits for it and then succeeds.
    pinged = httpx.get(f"{host.url}/ping", timeout=30)
    caller.join(30)
    assert blocked["r"].status_code == 200 and blocked["r"].json() == {"slept": True}
    assert pinged.status_code == 200
    eventually(lambda: host.log_lines("event loop ran again after being blocked"), timeout=10)
    assert not host.log_lines("stopped answering"), host.log()
    assert not host.log_lines("disconnected"), host.log()
    assert len(host.log_lines("started python sidecar")) == 1  # never restarted
    for _ in range(5):
        assert httpx.get(f"{host.url}/ping", timeout=10).status_code == 200


def test_an_unresponsive_sidecar_is_killed_and_restarted_with_the_cause(start_host: Any) -> None:
    """SIGSTOP the supervised sidecar while a request is in flight: the host drops it for silence,
    the supervisor kills and restarts it naming the cause and the step, and requests succeed again."""
    host = start_host(PROJECTS / "blocking", live_steps=2)
    assert httpx.get(f"{host.url}/ping", timeout=10).status_code == 200
    started = host.log_lines("started python sidecar")
    pid = int(re.search(r"pid (\d+)", started[0]).group(1))  # type: ignore[union-attr]
    os.kill(pid, signal.SIGSTOP)
    try:
        lost = httpx.get(f"{host.url}/ping", timeout=30)  # answered once the sidecar is dropped
        assert lost.status_code in (502, 503), lost.text
        restart = eventually(
            lambda: host.log_lines("stopped answering", "no heartbeat for", "restarting"),
            timeout=20,
            what="the supervisor restarting the silent sidecar",
        )
        assert "python sidecar" in restart[0] and "while running step ping" in restart[0], restart
        eventually(
            lambda: httpx.get(f"{host.url}/ping", timeout=10).status_code == 200,
            timeout=30,
            what="ping served by the restarted sidecar",
        )
        assert len(host.log_lines("started python sidecar")) == 2
    finally:
        try:
            os.kill(pid, signal.SIGCONT)  # only if the test failed before the kill
        except ProcessLookupError:
            pass
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize(
    ("project", "language", "hanging", "deadline"),
    [
        ("hang_python", "python", "steps/hang_step.py", 4),
        ("hang_ruby", "ruby", "steps/hang.step.rb", 4),
        # Node installs its TypeScript hooks before the first import: slower on a loaded machine.
        ("hang_node", "node", "steps/hang.step.js", 8),
    ],
)
def test_a_step_file_that_hangs_at_import_is_named_killed_and_its_routes_answer_503(
    start_host: Any, project: str, language: str, hanging: str, deadline: int
) -> None:
    env = {"STEPHOST_HELLO_TIMEOUT_SECONDS": str(deadline)}
    host = start_host(PROJECTS / project, live_steps=1, env=env)
    cause = f"{language} sidecar: {hanging} did not finish importing within {deadline}s"
    assert host.log_lines(cause, "killed it"), host.log()
    # The other language serves.
    ok = httpx.get(f"{host.url}/ok", timeout=10)
    assert ok.status_code == 200, ok.text
    # The hanging language's route is unknown (it never said hello): 503 naming why, not 404.
    hang = httpx.get(f"{host.url}/hang", timeout=10)
    assert hang.status_code == 503, hang.text
    assert cause in hang.json()["error"]
    # The hung child is gone (killed, then restarted with backoff: it hangs again).
    eventually(
        lambda: host.log_lines(cause, "restarting in"), timeout=10, what="the restart line naming the file"
    )
