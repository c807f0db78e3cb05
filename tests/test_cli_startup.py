"""`stephost` starts quickly: building its parser imports no command's implementation.

Every host, agent, sidecar (`stephost sidecar LANG`) and CLI call of the suite, and of a user's
machine, starts this process; the settings model, the step models, httpx, rich and gRPC are
imported by the commands that use them, when they run.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.harness import stephost

# Top-level packages a parser needs none of (each costs tens to hundreds of milliseconds).
HEAVY = ("pydantic", "httpx", "rich", "grpc", "google", "nats", "jsonschema", "fastapi", "uvicorn", "asyncio")

PROBE = """
import json, sys
from stephost_host.cli import build_parser
build_parser()
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_building_the_parser_imports_no_command_implementation() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_every_command_still_parses_and_helps() -> None:
    for command in (
        "dev",
        "start",
        "sidecar",
        "emit",
        "dlq",
        "create",
        "generate",
        "install",
        "deploy",
        "deploys",
    ):
        done = stephost(command, "--help", timeout=60)
        assert done.returncode == 0 and f"usage: stephost {command}" in done.stdout, (command, done.stderr)
    version = stephost("--version", timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("stephost "), version
