"""``python -m stephost_sidecar --connect HOST:PORT DIR``: run a project's Python steps.

``--check DIR`` loads the project as a worker would and prints what it found (JSON) instead of
dialling; ``--agent [--work-dir DIR]`` runs no project: it builds and runs versions it is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from stephost_sidecar import log as sidecar_log
from stephost_sidecar.agent import serve_agent
from stephost_sidecar.connection import Connection, Options, build_hello, serve_until_stopped
from stephost_sidecar.hooks import load_hooks
from stephost_sidecar.loader import load_project
from stephost_sidecar.proto import pb
from stephost_sidecar.runner import Runner
from stephost_sidecar.watchdog import Watchdog, threshold_from_env
from stephost_wire import gc_pace

log = logging.getLogger("stephost.sidecar")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="stephost-sidecar-python", description=__doc__)
    p.add_argument("project", nargs="?", default=env("STEPHOST_PROJECT", "."), help="project root")
    p.add_argument("--connect", default=env("STEPHOST_CONNECT", "127.0.0.1:7070"), help="host's sidecar port")
    p.add_argument("--secret", default=env("STEPHOST_SECRET", ""), help="shared secret (or STEPHOST_SECRET)")
    p.add_argument("--sidecar-id", default=env("STEPHOST_SIDECAR_ID", ""))
    p.add_argument("--capacity", type=int, default=int(env("STEPHOST_CAPACITY", "256")))
    p.add_argument("--check", action="store_true", help="load the project, print its manifests as JSON, exit")
    p.add_argument(
        "--agent", action="store_true", help="run as an agent: no project, versions arrive as bundles"
    )
    p.add_argument(
        "--work-dir", default=env("STEPHOST_WORK_DIR", ""), help="an agent's folder (default: a temp dir)"
    )
    return p.parse_args(argv)


def options_from(args: argparse.Namespace, kind: str = "python") -> Options:
    return Options(
        target=args.connect,
        secret=args.secret,
        sidecar_id=args.sidecar_id or f"{kind}-{socket.gethostname()}-{os.getpid()}",
        capacity=max(1, args.capacity),
        version=os.environ.get("STEPHOST_VERSION", ""),
    )


def check(root: Path) -> int:
    """Load every step as a worker would; print steps, streams, load errors and hooks as JSON
    (the BuildResult fields); exit 1 when a file did not load. What the step files print while
    they load goes to stderr, so stdout holds the JSON alone."""
    with contextlib.redirect_stdout(sys.stderr):
        project = load_project(root)
        hooks = load_hooks(root, project)
    hello = build_hello(options_from(parse_args([])), project, hooks.names())
    found = pb.BuildResult(
        steps=hello.steps, streams=hello.streams, load_errors=hello.load_errors, hooks=hello.hooks
    )
    print(json_format.MessageToJson(found, indent=None))
    return 1 if project.failures else 0


async def serve(args: argparse.Namespace) -> int:
    if args.agent:
        return await serve_agent(options_from(args, "python-agent"), args.work_dir)
    root = Path(args.project)
    if not root.is_dir():
        print(f"stephost sidecar: project directory {root} does not exist", file=sys.stderr)
        return 2
    if args.check:
        return check(root)
    project = load_project(root, os.environ.get("STEPHOST_LOAD_PROGRESS", ""))
    hooks = load_hooks(root, project)
    for f in project.failures:
        log.error("could not load %s: %s", f.file, f.message)
    log.info(
        "loaded %d step(s) and %d stream(s) from %s", len(project.steps), len(project.streams), root.resolve()
    )
    options = options_from(args)
    conn = Connection(options, build_hello(options, project, hooks.names()))
    runner = Runner(project.steps, hooks, conn.calls, options.capacity)
    base = root.resolve()
    watchdog = Watchdog(
        {str(base / s.file): (s.name, s.file) for s in project.steps},
        lambda: runner.running,
        threshold_from_env(os.environ),
    )
    watchdog.start()
    gc_pace.settle()  # the steps are loaded: what lives now lives for good
    try:
        return await serve_until_stopped(conn, runner, "sidecar")
    finally:
        watchdog.stop()
        runner.close()


def main(argv: list[str] | None = None) -> None:
    try:
        sidecar_log.setup(sidecar_log.settings_from_env(os.environ))
    except sidecar_log.BadSetting as exc:
        print(f"stephost sidecar: {exc}", file=sys.stderr)
        sys.exit(2)
    args = parse_args(argv)
    run: Any
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    sys.exit(run(serve(args)))


if __name__ == "__main__":
    main()
