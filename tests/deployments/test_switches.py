"""Zero downtime across at least ten switches (deploy, rollback, promote in turn), on two
hosts: a bounded load of fast and 2-second calls to an
api step on both hosts while deploys, rollbacks and promotes switch versions. Every call
answers 2xx, and each was served by the version the host admitted it on (the worker's own
STEPHOST_VERSION equals the response's x-stephost-version), so calls admitted before a
switch finished on the old version; the deployment list shows exactly one active deployment
at every moment it is read. (A staged deploy and a host started later: test_switches_staged.py.)"""

from __future__ import annotations

import time
from functools import partial

import pytest

from tests.deployments.conftest import PROJECTS, Fleet
from tests.deployments.switching import ActiveWatch, Load, pointer, serves
from tests.harness import eventually


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_two_hosts_switch_with_no_failed_call(fleet: Fleet) -> None:
    second = fleet.another()
    fleet.agent("python")
    fleet.agent("python", host=second)
    hosts = [fleet.host, second]

    assert fleet.cli("deploy", str(PROJECTS / "v1")).returncode == 0
    v1 = pointer(fleet)
    for h in hosts:
        eventually(partial(serves, h, v1), timeout=60, what="v1 on every host")

    switches: list[str] = []  # the active version after each switch
    with Load([h.url for h in hosts]) as load, ActiveWatch(fleet) as watch:
        time.sleep(1)
        # Each command and the version it leaves active.
        steps: list[tuple[tuple[str, ...], str]] = [
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
        ]
        versions = {"v1": v1}
        for args, label in steps:
            done = fleet.cli(*args)
            assert done.returncode == 0, done.stdout + done.stderr
            if "v2" not in versions:  # known after the first deploy (#2)
                versions["v2"] = fleet.api().get("/deployments/2").json()["versionId"]
            expected = versions[label]
            for h in hosts:
                eventually(partial(serves, h, expected), timeout=120, what=f"{args}")
            switches.append(expected)
            time.sleep(2.5)  # let slow calls straddle the switch

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
    assert watch.snapshots > 100 and not watch.wrong, watch.wrong[:5]
