"""README.md's "Your first project" and "Writing steps" commands, run as written.

The ```bash blocks are read from the README itself, so they cannot drift: every block runs in a
temp folder under ``bash -e`` (a ``cd`` carries over to the next block), except a block that is
only ``stephost dev``, which runs in the background while the later blocks talk to it. The one
substitution: that host takes a free port (``STEPHOST_PORT=0``), and ``localhost:3000`` in the
later blocks becomes the port it took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import httpx

from stephost_host.supervisor.children import die_with_parent
from tests.devloop.shell import bash_blocks, sh, user_env
from tests.harness import ROOT, eventually

README = (ROOT / "README.md").read_text()


class Session:
    """The blocks of one walk-through, run one after another as a user would type them."""

    def __init__(self, root: Path) -> None:
        self.cwd = root
        self.dev: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.outputs: list[str] = []

    def run(self, block: str) -> None:
        if block.strip() == "stephost dev":
            self._start_dev()
            return
        if self.url:
            block = block.replace("localhost:3000", self.url.removeprefix("http://"))
        done = sh(f"{block}\npwd > {self.cwd / '.cwd'}\n", self.cwd)
        assert done.returncode == 0, f"{block}\n{done.stdout}"
        self.outputs.append(done.stdout)
        self.cwd = Path((self.cwd / ".cwd").read_text().strip())

    def _start_dev(self) -> None:
        env = user_env(STEPHOST_PORT="0", STEPHOST_SIDECAR_PORT="0")
        with open(self.cwd / "dev.log", "wb") as log:  # the child keeps its own descriptor
            self.dev = subprocess.Popen(
                ["bash", "-ec", "exec stephost dev"],
                cwd=self.cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        runtime = self.cwd / ".stephost" / "runtime.json"
        eventually(runtime.exists, timeout=90, what=f"stephost dev ready\n{self.log()}")
        self.url = json.loads(runtime.read_text())["http"]

    def log(self) -> str:
        return (self.cwd / "dev.log").read_text() if (self.cwd / "dev.log").exists() else ""

    def steps(self) -> set[str]:
        return {s["name"] for s in httpx.get(self.url + "/__stephost/steps", timeout=5).json()}

    def stop(self) -> None:
        if self.dev is not None and self.dev.poll() is None:
            os.killpg(self.dev.pid, signal.SIGTERM)
            try:
                self.dev.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.dev.pid, signal.SIGKILL)
                self.dev.wait()


def test_your_first_project_and_writing_steps_run_as_written(tmp_path: Path) -> None:
    first = bash_blocks(README, "## Your first project")
    writing = bash_blocks(README, "## Writing steps")
    assert any("stephost create" in b for b in first) and any("stephost dev" == b.strip() for b in first)
    assert writing and all("stephost generate step" in b for b in writing)

    session = Session(tmp_path)
    try:
        for block in first:
            session.run(block)
        assert "# pass 4" in session.outputs[0] and "# fail 0" in session.outputs[0]  # npm test
        assert any(
            json.loads(out or "null") == {"queued": True, "name": "Ada"} for out in session.outputs[1:2]
        )
        # The step `generate step` wrote is served after the host's reload.
        eventually(lambda: "send-email" in session.steps(), timeout=60, what=session.log()[-3000:])

        for block in writing:  # in the same project, the host reloading as they arrive
            session.run(block)
        wanted = {"charge-card", "get-user", "nightly-report"}
        eventually(lambda: wanted <= session.steps(), timeout=60, what=session.log()[-3000:])
        assert httpx.get(session.url + "/users/7", timeout=10).json() == {"message": "get-user works"}
    finally:
        session.stop()
