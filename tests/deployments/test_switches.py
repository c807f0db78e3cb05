"""Zero downtime across at least ten switches (deploy, rollback, promote in turn), on two
hosts: a bounded load of fast and 2-second calls to an
api step on both hosts while deploys, rollbacks and a promote switch versions. Every call
answers 2xx, and each was served by the version the host admitted it on (the worker's own
STEPHOST_VERSION equals the response's x-stephost-version), so calls admitted before a
switch finished on the old version. Then a host started later serves the active version."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

import httpx
import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get
from tests.harness import HostProcess, eventually


class Load:
    """Threads calling /hello (fast) and /slow?s=2 on every host until stopped."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.results: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(path, i), daemon=True)
            for i, path in enumerate(["/hello", "/hello", "/hello", "/slow?s=2"])
        ]

    def _run(self, path: str, n: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = n
            while not self.stopping.is_set():
                url = self.urls[i % len(self.urls)] + path
                i += 1
                started = time.monotonic()
                try:
                    r = client.get(url)
                except httpx.HTTPError as exc:
                    self.errors.append(f"{url}: {exc!r}")
                    continue
                body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                self.results.append(
                    {
                        "url": url,
                        "status": r.status_code,
                        "header": r.headers.get("x-stephost-version"),
                        "served": body.get("version"),
                        "seconds": time.monotonic() - started,
                        "body": body,
                    }
                )
                time.sleep(0.02)  # bounded: about 150 calls a second in all

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(90)


def _serves(host: HostProcess, version: str) -> bool:
    return bool(get(host, "/hello").json()["version"] == version)


def _pointer(fleet: Fleet) -> str:
    records = fleet.api().get("/deployments").json()["deployments"]
    return next(r["versionId"] for r in records if r["isActive"])


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_two_hosts_switch_with_no_failed_call(fleet: Fleet) -> None:
    second = fleet.another()
    fleet.agent("python")
    fleet.agent("python", host=second)
    hosts = [fleet.host, second]

    assert fleet.cli("deploy", str(PROJECTS / "v1")).returncode == 0
    v1 = _pointer(fleet)
    for h in hosts:
        eventually(partial(_serves, h, v1), timeout=60, what="v1 on every host")

    switches: list[str] = []  # the active version after each switch
    with Load([h.url for h in hosts]) as load:
        time.sleep(1)
        # Each command and the version it leaves active ("v1", "v2" or None: unchanged, staged).
        steps: list[tuple[tuple[str, ...], str | None]] = [
            (("deploy", str(PROJECTS / "v2")), "v2"),  # a new version, built and started on both hosts
            (("deploys", "rollback"), "v1"),  # back to v1, still warm
            (("deploys", "promote", "2"), "v2"),
            (("deploys", "rollback", "1"), "v1"),
            (("deploys", "promote", "2"), "v2"),
            (("deploys", "rollback", "1"), "v1"),
            (("deploy", str(PROJECTS / "v2")), "v2"),  # same content as #2: nothing re-uploaded
            (("deploys", "rollback", "1"), "v1"),
            (("deploys", "promote", "2"), "v2"),
            (("deploys", "rollback", "1"), "v1"),
            (("deploy", str(PROJECTS / "v2"), "--no-promote"), None),  # staged, warm
        ]
        versions = {"v1": v1}
        for args, label in steps:
            done = fleet.cli(*args)
            assert done.returncode == 0, done.stdout + done.stderr
            if "v2" not in versions:  # known after the first deploy (#2)
                versions["v2"] = fleet.api().get("/deployments/2").json()["versionId"]
            expected = versions[label] if label else switches[-1]
            for h in hosts:
                eventually(partial(_serves, h, expected), timeout=120, what=f"{args}")
            if label:
                switches.append(expected)
            time.sleep(2.5)  # let slow calls straddle the switch
        staged = fleet.api().get("/deployments").json()["deployments"][0]
        assert staged["activation"] == "staged" and not staged["isActive"]
        assert fleet.cli("deploys", "promote", str(staged["number"])).returncode == 0
        for h in hosts:
            eventually(partial(_serves, h, versions["v2"]), timeout=120, what="the promoted v2")
        switches.append(versions["v2"])
        time.sleep(2.5)

    assert len(switches) >= 10 and len(set(switches)) == 2, switches
    assert not load.errors, load.errors[:5]
    bad = [r for r in load.results if r["status"] != 200]
    assert not bad, bad[:5]
    wrong = [r for r in load.results if r["header"] != r["served"]]
    assert not wrong, wrong[:5]  # each call finished on the version it was admitted on
    seen = {r["served"] for r in load.results}
    assert len(seen) == 2 and v1 in seen
    slow = [r for r in load.results if "/slow" in r["url"]]
    assert len(slow) >= 10 and all(r["seconds"] >= 2 for r in slow)
    assert len(load.results) > 200

    # A host started now serves the active deployment as soon as its agent is there.
    third = fleet.another()
    fleet.agent("python", host=third)
    active = _pointer(fleet)
    eventually(lambda: get(third, "/hello").json()["version"] == active, timeout=120, what="the new host")
