"""A staged deploy and a host that joins later, under load: v2 deployed with --no-promote is
built and warm but not active (v1 goes on serving every call), a promote switches to it, a
rollback and a second promote switch back and forth; every call answers 2xx on the version it
was admitted on, and the deployment list shows exactly one active deployment at every moment
it is read. Then a host started later serves the active version as soon as its agent is there."""

from __future__ import annotations

import time
from functools import partial

import pytest

from tests.deployments.conftest import PROJECTS, Fleet, get
from tests.deployments.switching import ActiveWatch, Load, pointer, serves
from tests.harness import eventually


def _record(fleet: Fleet, ref: str) -> dict[str, object]:
    return dict(fleet.api().get(f"/deployments/{ref}").json())


@pytest.mark.timeout(900)  # several real deploys on a shared 2-core machine
def test_a_staged_deploy_switches_only_when_promoted(fleet: Fleet) -> None:
    fleet.agent("python")
    assert fleet.cli("deploy", str(PROJECTS / "v1")).returncode == 0
    v1 = pointer(fleet)
    with Load([fleet.host.url]) as load, ActiveWatch(fleet) as watch:
        staged = fleet.cli("deploy", str(PROJECTS / "v2"), "--no-promote")
        assert staged.returncode == 0, staged.stdout + staged.stderr
        two = _record(fleet, "2")
        assert two["status"] == "completed" and two["activation"] == "staged" and not two["isActive"]
        assert pointer(fleet) == v1 and serves(fleet.host, v1)
        v2 = str(two["versionId"])
        for args, expected in [
            (("deploys", "promote", "2"), v2),
            (("deploys", "rollback", "1"), v1),
            (("deploys", "promote", "2"), v2),
        ]:
            done = fleet.cli(*args)
            assert done.returncode == 0, done.stdout + done.stderr
            eventually(partial(serves, fleet.host, expected), timeout=120, what=f"{args}")
            assert pointer(fleet) == expected
            time.sleep(2.5)  # let slow calls straddle the switch

    assert not load.errors, load.errors[:5]
    bad = [r for r in load.results if r["status"] != 200]
    assert not bad, bad[:5]
    wrong = [r for r in load.results if r["header"] != r["served"]]
    assert not wrong, wrong[:5]
    assert {r["served"] for r in load.results} == {v1, v2}
    assert watch.snapshots > 50 and not watch.wrong, watch.wrong[:5]

    # A host started now serves the active deployment as soon as its agent is there.
    later = fleet.another()
    fleet.agent("python", host=later)
    eventually(lambda: get(later, "/hello").json()["version"] == v2, timeout=120, what="the new host")
