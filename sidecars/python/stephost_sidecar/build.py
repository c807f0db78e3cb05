"""The Python build of a version, run by the agent in the unpacked source tree.

1. ``requirements.txt``: ``pip install --target .deps`` (the loader puts ``.deps`` on the
   path); a requirement that would shadow what the sidecar itself runs on (grpcio,
   protobuf) fails the build instead of breaking every worker at import.
2. byte-compile the project (hash-based .pyc files: valid whatever the files' mtimes, and
   identical for identical sources, so the bundle's digest stays content-addressed).
3. load every step exactly as a worker would: this sidecar's ``--check`` mode.

Every process runs in its own process group (``processes.Group``), so cancelling the
build (the awaiting task) kills pip and whatever it started.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from google.protobuf import json_format

from stephost_sidecar.loader import DEPS
from stephost_sidecar.processes import Group
from stephost_sidecar.proto import pb

Line = Callable[[str, str], None]
# Kept out of a built bundle (the compiled __pycache__ folders are its point).
KEPT_IN_BUNDLE = frozenset({".git", ".stephost"})
# Installed into .deps, these would be imported instead of the sidecar's own copies.
PROVIDED = {"grpc": "grpcio", "google/protobuf": "protobuf", "stephost_wire": "stephost"}
# Test-only: the build first sleeps this many seconds in a child of its process group, so a
# test can cancel a build deterministically and see its whole group go.
TEST_SLEEP = "STEPHOST_AGENT_TEST_BUILD_SLEEP"
_COMPILE_ERROR = re.compile(r"\*\*\* Error compiling '(.+?)'")


def worker_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "stephost_sidecar", str(root)]


async def run(
    argv: Sequence[str], tree: Path, env: dict[str, str], on_line: Line, echo: Line | None = None
) -> tuple[int, Group]:
    """Run one build command to its end (shown first, as a shell would, to ``echo`` or
    ``on_line``); cancelling kills its process group."""
    (echo or on_line)(f"$ {' '.join(argv)}", "stdout")
    group = await Group.spawn(argv, cwd=tree, env=env, on_line=on_line)
    try:
        return await group.wait(), group
    except BaseException:
        await group.kill()
        raise


def failed(error: str, file: str = "") -> pb.BuildResult:
    return pb.BuildResult(ok=False, error=f"{file}: {error}" if file else error, file=file)


async def build(tree: Path, env: dict[str, str], line: Callable[[str, str], None]) -> pb.BuildResult:
    if env.get(TEST_SLEEP):
        line(f"test pause: sleeping {env[TEST_SLEEP]}s", "stdout")
        await run(["sh", "-c", f"sleep {env[TEST_SLEEP]} & wait"], tree, env, line)
    if (tree / "requirements.txt").is_file():
        problem = await _requirements(tree, env, line)
        if problem is not None:
            return problem
    code, group = await run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "unchecked-hash",
            "-x",
            rf"/{DEPS}/",
            ".",
        ],
        tree,
        env,
        line,
    )
    if code != 0:
        bad = next((m.group(1) for m in map(_COMPILE_ERROR.search, group.lines) if m), "")
        file = Path(bad).as_posix().removeprefix("./") if bad else ""
        return failed(f"does not compile: {group.tail[-1] if group.tail else f'exit {code}'}", file)
    return await check(tree, env, line)


async def _requirements(tree: Path, env: dict[str, str], line: Line) -> pb.BuildResult | None:
    pip = [sys.executable, "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
    code, group = await run([*pip, "--target", DEPS, "-r", "requirements.txt"], tree, env, line)
    if code != 0:
        last = group.tail[-1] if group.tail else f"exit code {code}"
        return failed(f"pip install failed: {last}", "requirements.txt")
    shadowed = sorted(dist for path, dist in PROVIDED.items() if (tree / DEPS / path).exists())
    if shadowed:
        return failed(
            f"installs {', '.join(shadowed)}, which the Python sidecar provides itself; "
            "remove it from the requirements (the sidecar's own version is used)",
            "requirements.txt",
        )
    return None


async def check(tree: Path, env: dict[str, str], line: Line) -> pb.BuildResult:
    """Load the project as a worker would (``--check``); its stdout is the manifests' JSON."""
    out: list[str] = []

    def collect(text: str, stream: str) -> None:
        if stream == "stdout":
            out.append(text)
        else:
            line(text, stream)

    code, group = await run(
        [sys.executable, "-m", "stephost_sidecar", "--check", "."], tree, env, collect, line
    )
    try:
        result = json_format.Parse("\n".join(out), pb.BuildResult(), ignore_unknown_fields=True)
    except json_format.ParseError:
        return failed(f"loading the steps failed (exit {code}): {group.tail[-1] if group.tail else ''}")
    if result.load_errors:
        first = result.load_errors[0]
        result.ok, result.file, result.error = False, first.file, f"{first.file}: {first.message}"
    else:
        result.ok = code == 0
        if not result.ok:
            result.error = f"loading the steps failed (exit {code})"
    return result
