"""One real host per fuzz module (nats-server, the host, a sidecar per language on
tests/projects/fuzz), and the Hypothesis settings every fuzz test uses.

Runs are reproducible: a fixed seed (STEPHOST_FUZZ_SEED to change it), no example database,
and Hypothesis prints the failing example and its reproduce blob. STEPHOST_FUZZ_EXAMPLES
raises the example count for a longer run on a workstation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, seed, settings

from tests.harness import ROOT, HostProcess, NatsServer

PROJECT = ROOT / "tests" / "projects" / "fuzz"
LIVE_STEPS = 5  # three echo api steps, a GET api step, an event step
SEED = int(os.environ.get("STEPHOST_FUZZ_SEED", "20261130"))
EXAMPLES = int(os.environ.get("STEPHOST_FUZZ_EXAMPLES", "200"))


def fuzz(examples: int = EXAMPLES) -> Any:
    """Settings and seed for one fuzz test (bounded, reproducible, no deadline)."""
    chosen = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )

    def apply(test: Any) -> Any:
        return seed(SEED)(chosen(test))

    return apply


@dataclass
class FuzzHost:
    """The host under fuzz, and what must not change while it is fuzzed."""

    host: HostProcess
    pid: int = 0
    sidecars: dict[str, list[str]] = field(default_factory=dict)

    def serving(self) -> dict[str, list[str]]:
        return {name: step["sidecars"] for name, step in self.host.steps().items()}

    def assert_unchanged(self) -> None:
        """Same host process, the same sidecars serving the same steps: nothing crashed."""
        where = f"(fuzz seed {SEED}; host log: {self.host.log_path})"
        assert self.host.proc.poll() is None, f"the host exited with {self.host.proc.returncode} {where}"
        runtime = json.loads((self.host.state_dir / "runtime.json").read_text())
        assert runtime["pid"] == self.pid, f"the host restarted {where}"
        assert self.serving() == self.sidecars, f"a sidecar was replaced {where}"
        assert not self.host.log_lines("sidecar exited"), f"a sidecar died {where}"


@pytest.fixture(scope="module")
def fuzz_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzHost]:
    tmp = tmp_path_factory.mktemp("fuzz")
    nats = NatsServer(tmp / "nats")
    host = HostProcess(PROJECT, tmp / "host", nats.url)
    try:
        host.wait_ready(LIVE_STEPS)
        target = FuzzHost(host, pid=host.proc.pid)
        target.sidecars = target.serving()
        assert host.info["pid"] == target.pid
        print(f"fuzz seed {SEED} (STEPHOST_FUZZ_SEED), {EXAMPLES} examples (STEPHOST_FUZZ_EXAMPLES)")
        yield target
        target.assert_unchanged()
    finally:
        host.stop()
        nats.stop()
