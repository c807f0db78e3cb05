"""``python -m stephost_sidecar --connect HOST:PORT DIR``: run a project's Python steps."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from stephost_sidecar import log as sidecar_log
from stephost_sidecar.connection import Connection, Options, Rejected, build_hello
from stephost_sidecar.hooks import load_hooks
from stephost_sidecar.loader import load_project
from stephost_sidecar.runner import Runner
from stephost_sidecar.watchdog import Watchdog, threshold_from_env

log = logging.getLogger("stephost.sidecar")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="stephost-sidecar-python", description=__doc__)
    p.add_argument("project", nargs="?", default=env("STEPHOST_PROJECT", "."), help="project root")
    p.add_argument("--connect", default=env("STEPHOST_CONNECT", "127.0.0.1:7070"), help="host's sidecar port")
    p.add_argument("--secret", default=env("STEPHOST_SECRET", ""), help="shared secret (or STEPHOST_SECRET)")
    p.add_argument("--sidecar-id", default=env("STEPHOST_SIDECAR_ID", ""))
    p.add_argument("--capacity", type=int, default=int(env("STEPHOST_CAPACITY", "64")))
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    root = Path(args.project)
    if not root.is_dir():
        print(f"stephost sidecar: project directory {root} does not exist", file=sys.stderr)
        return 2
    project = load_project(root, os.environ.get("STEPHOST_LOAD_PROGRESS", ""))
    hooks = load_hooks(root, project)
    for f in project.failures:
        log.error("could not load %s: %s", f.file, f.message)
    log.info(
        "loaded %d step(s) and %d stream(s) from %s", len(project.steps), len(project.streams), root.resolve()
    )
    options = Options(
        target=args.connect,
        secret=args.secret,
        sidecar_id=args.sidecar_id or f"python-{socket.gethostname()}-{os.getpid()}",
        capacity=max(1, args.capacity),
        version=os.environ.get("STEPHOST_VERSION", ""),
    )
    conn = Connection(options, build_hello(options, project, hooks.names()))
    runner = Runner(project.steps, hooks, conn.calls, options.capacity)
    base = root.resolve()
    watchdog = Watchdog(
        {str(base / s.file): (s.name, s.file) for s in project.steps},
        lambda: runner.running,
        threshold_from_env(os.environ),
    )
    watchdog.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(conn.stop()))
    try:
        await conn.run(runner)
    except Rejected as exc:
        print(f"stephost sidecar: the host rejected this sidecar: {exc}", file=sys.stderr)
        return 2
    finally:
        watchdog.stop()
        runner.close()
    return 0


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
