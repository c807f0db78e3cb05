"""`stephost start --workers N`: N hosts on one machine behind one HTTP port, with the
project's embedded nats-server run once by their manager (host/stephost_host/workers/).

Real processes throughout: the manager, its workers, their Python sidecars and the
embedded nats-server, reached over HTTP like any client would."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost_host.config import ConfigError, load_settings
from stephost_host.workers.role import check_ports
from tests.harness import STEPHOST, HostProcess, eventually, free_ports

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "tests" / "projects" / "scale"  # submit -> process (records its sidecar) ; a cron tick
STEPS = 5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie waits for its parent, it is not running


def _tree(pid: int) -> list[int]:
    """``pid``'s live descendants: workers, their sidecars, the embedded nats-server."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [p for c in map(int, out) for p in (c, *_tree(c))]


def _scrape(host: HostProcess, series: str) -> float | None:
    """One series' value in `/metrics`, scraped on a new connection (so from either worker)."""
    auth = {"authorization": f"Bearer {host.secret}"}
    text = httpx.get(host.url + "/__stephost/metrics", headers=auth, timeout=10).text
    found = [line for line in text.splitlines() if line.startswith(series + " ")]
    return float(found[0].rsplit(" ", 1)[1]) if found else None


def _every_scrape_says(host: HostProcess, series: str, value: float) -> None:
    """Once one scrape says ``value``, ten more on new connections say it too: both workers
    answer for the whole server, not for their share of it."""

    def says() -> bool:
        seen = _scrape(host, series)
        assert seen == value, f"a scrape said {seen}"
        return True

    eventually(says, timeout=30, what=f"{series} = {value}")
    seen = [_scrape(host, series) for _ in range(10)]
    assert seen == [value] * 10, seen


def _invocations_in_flow_view(host: HostProcess, step: str) -> int:
    """A step's invocations as the Workbench's flow view shows them, on a new connection."""
    auth = {"authorization": f"Bearer {host.secret}"}
    flow = httpx.get(host.url + "/__stephost/flows/default", headers=auth, timeout=10).json()
    [node] = [n for n in flow["nodes"] if n["name"] == step]
    return int(node["counters"]["invocations"])


SUBMITS = 'stephost_http_request_duration_seconds_count{method="POST",route="/submit",status="202"}'
READS = 'stephost_http_request_duration_seconds_count{method="GET",route="/state/:group",status="200"}'
SIDECARS = "stephost_sidecars_connected"


@pytest.fixture
def workers(tmp_path: Path) -> Any:
    host = HostProcess(PROJECT, tmp_path / "state", None, args=["--workers", "2"])
    yield host.wait_ready(STEPS, timeout=120)
    host.stop()


def test_workers_share_the_port_the_queues_and_the_cron(workers: HostProcess) -> None:
    info = workers.info
    assert info["pid"] == workers.proc.pid  # runtime.json names the manager, and lists each worker
    pids = [w["pid"] for w in info["workers"]]
    assert len(set(pids)) == 2 and all(_alive(p) for p in pids)
    assert info["sidecar"] == info["workers"][0]["sidecar"] != info["workers"][1]["sidecar"]

    # Each request on a connection of its own: the kernel spreads connections over both workers.
    ids = [uuid.uuid4().hex for _ in range(40)]
    for i in ids:
        with httpx.Client(base_url=workers.url, timeout=30) as http:
            assert http.post("/submit", json={"id": i, "seconds": 0.2}).status_code == 202

    def all_done() -> list[dict[str, Any]] | None:
        done = httpx.get(workers.url + "/state/done", timeout=10).json()
        return done if len(done) == len(ids) else None

    done = eventually(all_done, timeout=60, what="every job processed")
    assert done is not None and {job["id"] for job in done} == set(ids)
    by = Counter(job["by"] for job in done)
    assert len(by) == 2, by  # both workers' sidecars pulled from the one queue

    served = {w for w in ("w0", "w1") if workers.log_lines(f" {w} ", "POST /submit")}
    assert served == {"w0", "w1"}, workers.log()[-3000:]
    # /metrics sums the workers' counts and gauges, whichever of them takes the scrape.
    _every_scrape_says(workers, SUBMITS, len(ids))
    _every_scrape_says(
        workers, 'stephost_invocations_total{language="python",outcome="ok",step="submit"}', len(ids)
    )
    _every_scrape_says(workers, SIDECARS, 2)
    # So does the Workbench's flow view: each step's counters are the whole server's.
    eventually(
        lambda: _invocations_in_flow_view(workers, "submit") == len(ids),
        timeout=30,
        what="40 in the flow view",
    )
    seen_in_view = [_invocations_in_flow_view(workers, "submit") for _ in range(10)]
    assert seen_in_view == [len(ids)] * 10, seen_in_view
    # Each worker's posture knows the NATS it uses is the project's own, run by the manager.
    assert len(workers.log_lines("auth: NATS: embedded")) == 2

    # Both workers run the cron; each second's tick fires once between them (the KV lock).
    def ticks() -> list[int] | None:
        seen = list(httpx.get(workers.url + "/state/ticks", timeout=10).json())
        return seen if len(seen) >= 4 else None

    seen = eventually(ticks, timeout=30, what="four ticks")
    assert seen is not None and len(seen) == len(set(seen)), sorted(seen)

    # What holds the secret and the NATS token is the owner's only; the plans went over stdin.
    state = workers.state_dir
    held = [state / "runtime.json", *sorted(f for f in (state / "workers").iterdir() if f.is_file())]
    assert [f.name for f in held] == ["runtime.json", "0.json", "1.json"]
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in held)


def test_a_dead_worker_is_started_again_and_a_signal_stops_them_all(workers: HostProcess) -> None:
    runtime = workers.state_dir / "runtime.json"
    for _ in range(10):
        with httpx.Client(base_url=workers.url, timeout=30) as http:
            assert http.get("/state/done").status_code == 200
    _every_scrape_says(workers, READS, 10)
    first = workers.info["workers"][1]["pid"]
    orphans = _tree(first)  # its sidecar: dies with it
    assert orphans
    # The workers' metrics files are theirs: a step's own prometheus_client writes elsewhere.
    assert b"PROMETHEUS_MULTIPROC_DIR=" in Path(f"/proc/{first}/environ").read_bytes()
    assert all(b"PROMETHEUS_MULTIPROC_DIR=" not in Path(f"/proc/{p}/environ").read_bytes() for p in orphans)
    os.kill(first, signal.SIGKILL)

    def replaced() -> int | None:
        pid = json.loads(runtime.read_text())["workers"][1]["pid"]
        return pid if pid != first and _alive(pid) else None

    second = eventually(replaced, timeout=90, what="worker 1 started again")
    assert workers.log_lines("worker 1", "exited with -9")
    # The supervisor records the new pid in runtime.json, then logs it: wait for the line too.
    eventually(
        lambda: workers.log_lines(f"worker 1 is back (pid {second})"),
        timeout=10,
        what="the 'is back' log line",
    )
    eventually(
        lambda: not [p for p in orphans if _alive(p)], timeout=30, what="the dead worker's sidecar gone"
    )
    # The new worker serves: new connections all get answers (none lands on the dead one), and
    # some of them land on it.
    served_before = len(workers.log_lines(" w1 ", "GET /state/done"))
    for _ in range(20):
        with httpx.Client(base_url=workers.url, timeout=30) as http:
            assert http.get("/state/done").status_code == 200
    assert len(workers.log_lines(" w1 ", "GET /state/done")) > served_before
    # What the dead worker counted stays counted; its gauges are no longer added in.
    _every_scrape_says(workers, READS, 10 + 20)
    _every_scrape_says(workers, SIDECARS, 2)

    tree = _tree(workers.proc.pid)
    assert workers.stop() == 0
    eventually(
        lambda: not [p for p in tree if _alive(p)],
        timeout=30,
        what="every worker, sidecar and nats-server gone",
    )
    assert not runtime.exists()
    assert not (workers.state_dir / "workers" / "metrics").exists()


def _start_workers(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`stephost start --workers 2` of a start expected to fail, run to its end."""
    return subprocess.run(
        [*STEPHOST, "start", str(PROJECT), "--workers", "2", "--state-dir", str(state), *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_taken_http_port_stops_the_start_before_nats(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = _start_workers(tmp_path, "--port", str(port))
    assert out.returncode == 2, out.stderr
    assert f"cannot listen for HTTP on 127.0.0.1:{port}" in out.stderr
    assert not (tmp_path / "nats").exists()  # no nats-server was started


def test_a_worker_that_cannot_start_stops_the_rest(tmp_path: Path) -> None:
    """Worker i listens for sidecars on sidecar_port + i: with that port taken for worker 1,
    its start fails, and the manager stops worker 0 and exits naming it."""
    base = free_ports(1)[0]
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            taken.bind(("127.0.0.1", base + 1))
        except OSError:
            pytest.skip(f"port {base + 1} is in use here")
        taken.listen()
        out = _start_workers(tmp_path, "--port", "0", "--sidecar-port", str(base))
    assert out.returncode == 1, out.stderr[-3000:]
    assert f"worker 1: cannot listen for sidecars on 127.0.0.1:{base + 1}" in out.stderr
    assert "worker 1 exited with 2 while starting; stopping the workers" in out.stderr
    assert not (tmp_path / "workers" / "0.json").exists()  # worker 0 was up, and stopped in order
    # Nothing of it is left: workers and nats-server carry the state directory in their command.
    assert subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True).returncode == 1


def test_a_second_server_cannot_join_the_workers_port(workers: HostProcess, tmp_path: Path) -> None:
    """SO_REUSEPORT would let another server of the same user share the port: the manager
    takes it alone first, so the second start fails naming it."""
    port = int(workers.url.rsplit(":", 1)[1])
    out = _start_workers(tmp_path / "other", "--port", str(port))
    assert out.returncode == 2, out.stderr[-3000:]
    assert f"cannot listen for HTTP on 127.0.0.1:{port}" in out.stderr


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (
            {"sidecar_port": 65535},
            "sidecar_port=65535 with workers=2: worker i listens on sidecar_port + i, past 65535",
        ),
        ({"sidecar_port": 7070, "ingress_port": 7071}, "sidecar_port=7070 and ingress_port=7071 overlap"),
        ({"port": 7071}, "port=7071 is one of the workers' sidecar_ports 7070..7071"),
    ],
)
def test_ports_the_workers_would_take_are_checked_first(
    flags: dict[str, int], said: str, tmp_path: Path
) -> None:
    settings = load_settings(PROJECT, environ={}, workers=2, state_dir=tmp_path, **flags)
    with pytest.raises(ConfigError, match=re.escape(said)):
        check_ports(settings)


def test_dev_runs_one_host_and_says_workers_are_for_start(tmp_path: Path) -> None:
    host = HostProcess(PROJECT, tmp_path / "state", None, mode="dev", args=["--workers", "2"])
    try:
        host.wait_ready(STEPS, timeout=120)
        assert "workers" not in host.info and host.info["pid"] == host.proc.pid
        assert host.log_lines("workers=2: `stephost dev` runs one host; workers are for `stephost start`")
    finally:
        host.stop()
