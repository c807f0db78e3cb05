"""The `stephost dev` loop, with a real host, NATS and sidecars: hot reload is complete
(a deleted step is gone, a new language's first file starts its sidecar, an empty project is
watched); an event step added while the host runs does not replay the past unless asked."""

from __future__ import annotations

import asyncio
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import nats

from stephost_host import names
from tests.harness import ROOT, eventually

KEEP = """
config = {"name": "keep", "type": "api", "path": "/keep", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"keep": True}}
"""
GONE = """
config = {"name": "gone", "type": "api", "path": "/gone", "method": "GET", "emits": []}


async def handler(req, ctx):
    return {"status": 200, "body": {"gone": False}}
"""
TICK = """
config = {"name": "%s", "type": "cron", "cron": "* * * * * *", "emits": []}


async def handler(ctx):
    pass
"""
NODE = """
exports.config = { name: 'hi-js', type: 'api', path: '/hi-js', method: 'GET', emits: [] }
exports.handler = async () => ({ status: 200, body: { hi: 'js' } })
"""


def cron_runs(host: Any, step: str) -> int:
    return len(host.log_lines(f"[{step}]", "cron run done"))


def test_deleting_a_step_file_unregisters_it(start_host: Any, tmp_path: Path) -> None:
    steps = tmp_path / "proj" / "steps"
    steps.mkdir(parents=True)
    (steps / "keep_step.py").write_text(KEEP)
    (steps / "gone_step.py").write_text(GONE)
    (steps / "tick_step.py").write_text(TICK % "tick")
    (steps / "clock_step.py").write_text(TICK % "clock")
    host = start_host(tmp_path / "proj", live_steps=4, mode="dev")
    assert httpx.get(host.url + "/gone").json() == {"gone": False}
    eventually(lambda: cron_runs(host, "tick") >= 1, what="the cron step to run")

    (steps / "gone_step.py").unlink()
    (steps / "tick_step.py").unlink()
    eventually(
        lambda: httpx.get(host.url + "/gone").status_code == 404,
        timeout=30,
        what="the deleted api step's route to answer 404",
    )
    assert set(host.steps()) == {"keep", "clock"}
    health = httpx.get(host.url + "/__stephost/health").json()
    assert (health["steps"], health["live"]) == (2, 2)
    assert httpx.get(host.url + "/keep").json() == {"keep": True}
    # The deleted cron step stops: while the remaining one fires three more times, it fires
    # at most once more (a tick already under way when the file went).
    ticks, clock = cron_runs(host, "tick"), cron_runs(host, "clock")
    eventually(lambda: cron_runs(host, "clock") >= clock + 3, timeout=30, what="three more clock ticks")
    assert cron_runs(host, "tick") <= ticks + 1
    assert not host.log_lines("cron tick skipped")


def test_an_empty_project_is_watched_and_a_new_language_starts_its_sidecar(
    start_host: Any, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    # An empty steps/ folder, made before the host starts: a folder created and filled at
    # once can race the file watcher adding it (inotify), which no user would notice.
    (project / "steps").mkdir(parents=True)
    host = start_host(project, live_steps=0, mode="dev")
    (project / "steps" / "keep_step.py").write_text(KEEP)
    eventually(
        lambda: httpx.get(host.url + "/keep").status_code == 200,
        timeout=40,
        what="the first python step to be served without a restart",
    )
    (project / "steps" / "hi.step.js").write_text(NODE)
    eventually(
        lambda: httpx.get(host.url + "/hi-js").status_code == 200,
        timeout=40,
        what="the first node step to start the node sidecar",
    )
    assert httpx.get(host.url + "/hi-js").json() == {"hi": "js"}
    assert host.log_lines("starting the node sidecar")


LATE = """
config = {"name": "late", "type": "event", "subscribes": ["work.start"], "emits": []}


async def handler(job, ctx):
    await ctx.state.set("late", job["id"], {"seen": True})
"""


def delivered(nats_url: str, topic: str, step: str) -> int:
    """How many events JetStream delivered to the (topic, step) consumer."""

    async def read() -> int:
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().consumer_info(names.EVENTS_STREAM, names.consumer_name(topic, step))
            return int(info.delivered.consumer_seq or 0)
        finally:
            await nc.close()

    return asyncio.run(read())


def add_late_subscriber(start_host: Any, tmp_path: Path, args: list[str]) -> tuple[Any, str, str]:
    """A dev host on slow_events that handled event ``old``, then got a new event step
    (``late``) and the event ``new``, which ``late`` handled."""
    project = tmp_path / "proj"
    shutil.copytree(ROOT / "tests" / "projects" / "slow_events", project)
    host = start_host(project, live_steps=3, mode="dev", args=args)
    old, new = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    with host.client() as http:
        assert http.post("/work", json={"id": old}).status_code == 202
        eventually(lambda: http.get(f"/work/work/{old}").json(), what="the first event to be handled")
        (project / "steps" / "late_step.py").write_text(LATE)
        eventually(lambda: host.steps().get("late", {}).get("live"), timeout=30, what="the new step")
        assert http.post("/work", json={"id": new}).status_code == 202
        eventually(lambda: http.get(f"/work/late/{new}").json(), what="the new step to handle the new event")
    return host, old, new


def test_a_new_event_step_does_not_replay_the_past(start_host: Any, tmp_path: Path, nats_server: Any) -> None:
    host, old, _ = add_late_subscriber(start_host, tmp_path, [])
    # Events reach a consumer in stream order: had the old one been delivered, the new one
    # would be the second.
    assert delivered(nats_server.url, "work.start", "late") == 1
    assert httpx.get(f"{host.url}/work/late/{old}").json() is None


def test_replaying_the_past_to_a_new_step_is_explicit(start_host: Any, tmp_path: Path) -> None:
    host, old, _ = add_late_subscriber(start_host, tmp_path, ["--replay-new-subscribers"])
    eventually(lambda: httpx.get(f"{host.url}/work/late/{old}").json(), what="the old event to be replayed")


def test_load_errors_are_visible(start_host: Any, tmp_path: Path) -> None:
    steps = tmp_path / "proj" / "steps"
    steps.mkdir(parents=True)
    (steps / "keep_step.py").write_text(KEEP)
    (steps / "gone_step.py").write_text(GONE)
    host = start_host(tmp_path / "proj", live_steps=2, mode="dev")
    assert httpx.get(host.url + "/__stephost/health").json()["status"] == "ok"

    (steps / "gone_step.py").write_text(GONE + '\nraise RuntimeError("STRIPE_KEY is not set")\n')
    r = eventually(
        lambda: (r := httpx.get(host.url + "/gone")).status_code == 503 and r,
        timeout=30,
        what="the broken step's route to answer 503",
    )
    assert "step 'gone' did not load" in r.json()["error"]
    assert "steps/gone_step.py" in r.json()["error"] and "STRIPE_KEY is not set" in r.json()["error"]
    # A path no step serves may be one the broken file declares: 503 naming it, not 404.
    r = httpx.get(host.url + "/nothing-here")
    assert r.status_code == 503 and "steps/gone_step.py" in r.json()["error"]
    assert httpx.get(host.url + "/keep").json() == {"keep": True}

    health = httpx.get(host.url + "/__stephost/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["loadErrors"] == [{"file": "steps/gone_step.py", "language": "python"}]
    auth = {"authorization": f"Bearer {host.secret}"}
    [error] = httpx.get(host.url + "/__stephost/load-errors", headers=auth).json()["loadErrors"]
    assert (error["file"], error["language"]) == ("steps/gone_step.py", "python")
    assert "STRIPE_KEY is not set" in error["message"]
    assert set(host.steps()) == {"keep"}  # the step list stays a list of the steps that loaded

    (steps / "gone_step.py").write_text(GONE)
    eventually(lambda: httpx.get(host.url + "/gone").status_code == 200, timeout=30, what="the fixed step")
    assert httpx.get(host.url + "/__stephost/health").json()["status"] == "ok"
    assert httpx.get(host.url + "/nothing-here").status_code == 404


def test_readiness_can_fail_on_load_errors(start_host: Any, tmp_path: Path) -> None:
    steps = tmp_path / "proj" / "steps"
    steps.mkdir(parents=True)
    (steps / "keep_step.py").write_text(KEEP)
    (steps / "broken_step.py").write_text("raise SystemError('broken at import')\n")
    host = start_host(tmp_path / "proj", live_steps=1, env={"STEPHOST_UNREADY_ON_LOAD_ERRORS": "true"})
    health = httpx.get(host.url + "/__stephost/health")
    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["loadErrors"] == [{"file": "steps/broken_step.py", "language": "python"}]


def test_requests_during_a_reload_are_all_served(start_host: Any, tmp_path: Path) -> None:
    """Requests keep coming while edits reload the sidecar: the old sidecar takes no new work
    once its replacement serves, so none of them is lost with its stream (a 502)."""
    steps = tmp_path / "proj" / "steps"
    steps.mkdir(parents=True)
    (steps / "keep_step.py").write_text(KEEP)
    host = start_host(tmp_path / "proj", live_steps=1, mode="dev")
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=host.url, timeout=30) as http:
            while not stop.is_set():
                statuses.append(http.get("/keep").status_code)

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        for edit in range(5):
            before = host.steps()["keep"]["sidecars"]
            (steps / "keep_step.py").write_text(KEEP + f"\n# edit {edit}\n")
            eventually(
                lambda before=before: host.steps()["keep"]["sidecars"] not in ([], before),
                timeout=60,
                what=f"reload {edit + 1} to serve",
            )
        served = len(statuses)
        eventually(lambda: len(statuses) > served + 20, what="requests after the last reload")
    finally:
        stop.set()
        worker.join(60)
    assert len(host.log_lines("reloading the python sidecar")) >= 5
    assert set(statuses) == {200}, {code: statuses.count(code) for code in set(statuses)}
