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

from stephost_sidecar.connection import Connection, Options, Rejected
from stephost_sidecar.loader import load_project

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
    project = load_project(root)
    for f in project.failures:
        log.error("could not load %s: %s", f.file, f.message)
    log.info(
        "loaded %d step(s) and %d stream(s) from %s", len(project.steps), len(project.streams), root.resolve()
    )
    sidecar_id = args.sidecar_id or f"python-{socket.gethostname()}-{os.getpid()}"
    conn = Connection(Options(args.connect, args.secret, sidecar_id, max(1, args.capacity)), project)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(conn.stop()))
    try:
        await conn.run()
    except Rejected as exc:
        print(f"stephost sidecar: the host rejected this sidecar: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=os.environ.get("STEPHOST_SIDECAR_LOG_LEVEL", "INFO").upper(),
        format="%(levelname)s %(message)s",
        stream=sys.stderr,
    )
    args = parse_args(argv)
    runner: Any
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    sys.exit(runner(serve(args)))


if __name__ == "__main__":
    main()
