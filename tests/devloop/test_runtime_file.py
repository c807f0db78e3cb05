"""runtime.json, which every tester reads the moment it exists (the created projects' tests
start a host that way)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from stephost_host.runtime import RuntimeFile


async def test_runtime_json_appears_whole(tmp_path: Path) -> None:
    """The testers read runtime.json the moment it exists: it is renamed into place complete
    (a reader once caught it empty under load), owner-only, with nothing left beside it."""
    runtime = RuntimeFile(tmp_path / "state", lambda: {"http": "http://127.0.0.1:1"})
    await runtime.start()
    assert json.loads((tmp_path / "state" / "runtime.json").read_text()) == {"http": "http://127.0.0.1:1"}
    assert (tmp_path / "state" / "runtime.json").stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path / "state") == ["runtime.json"]
