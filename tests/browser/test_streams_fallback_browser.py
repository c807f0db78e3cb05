"""The Workbench's Streams panel on a project with a stream auth hook (tests/projects/streams):
there the stream socket admits the host's secret only to the host's own streams, so the panel
follows the picked group over the admin API's event stream; an item set through the project's
API shows at once, without a reload or a poll."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.browser.test_workbench_browser import HERE, SHOTS, check_browser
from tests.harness import ROOT

PROJECT = ROOT / "tests" / "projects" / "streams"


def test_the_streams_panel_reads_a_hooked_stream_through_the_admin_api(
    start_host: Any, tmp_path: Path
) -> None:
    check_browser()
    host = start_host(PROJECT, live_steps=3, mode="dev")
    r = httpx.post(f"{host.url}/todo/private/alice/note", json={"title": "note"}, timeout=10)
    assert r.status_code == 200, r.text
    SHOTS.mkdir(exist_ok=True)
    args = {"base": host.url, "token": host.secret, "out": str(SHOTS), "userDataDir": str(tmp_path / "p")}
    ran = subprocess.run(
        ["node", "streams_fallback.mjs", json.dumps(args)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    seen: dict[str, Any] = json.loads(ran.stdout)
    assert "error" not in seen, (seen["error"], seen["console"])
    assert seen["status"] == 200 and seen["polled"] == []  # followed live, never polled
    print(f"hooked stream item appeared {seen['appearedMs']} ms after the request (admin event stream)")
    assert seen["appearedMs"] < 2000  # the issue: a changed item shows within 2 s
