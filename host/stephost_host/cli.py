"""The ``stephost`` command: dev, start, sidecar, emit."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from stephost_host import logs
from stephost_host.config import ConfigError, load_settings


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", default=".", help="project directory (default: .)")
    p.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (default 3000; 0 picks a free one)")
    p.add_argument("--sidecar-host", help="address sidecars dial (default 127.0.0.1)")
    p.add_argument("--sidecar-port", type=int, help="port sidecars dial (default 7070; 0 picks a free one)")
    p.add_argument("--nats-url", help="use this NATS server instead of an embedded one")
    p.add_argument("--log-format", choices=["text", "json"])
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    p.add_argument(
        "--state-dir", type=Path, help="embedded NATS data and runtime file (default PROJECT/.stephost)"
    )
    p.add_argument(
        "--no-sidecars", action="store_true", help="start no sidecars; they dial in from elsewhere"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stephost", description="A polyglot step host.")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run a project for development (embedded NATS, sidecars, reload)")
    _serve_args(dev)
    start = sub.add_parser("start", help="run a project in production mode (no reload)")
    _serve_args(start)
    side = sub.add_parser("sidecar", help="run one language's sidecar on its own, dialling a host")
    side.add_argument("language", choices=["python", "node", "ruby"])
    side.add_argument("rest", nargs=argparse.REMAINDER, help="--connect HOST:PORT [--secret S] DIR")
    emit = sub.add_parser("emit", help="emit an event into a running host")
    emit.add_argument("--topic", required=True)
    emit.add_argument("--message", default="null", help="the event data as JSON")
    emit.add_argument("--group", help="messageGroupId")
    emit.add_argument("--project", default=".", help="project whose running host to use (default .)")
    emit.add_argument("--url", help="host HTTP URL (default: from PROJECT/.stephost/runtime.json)")
    emit.add_argument("--secret", default=os.environ.get("STEPHOST_SECRET"))
    return parser


async def _run_host(args: argparse.Namespace, dev: bool) -> int:
    from stephost_host.app import Host

    settings = load_settings(
        args.project,
        host=args.host,
        port=args.port,
        sidecar_host=args.sidecar_host,
        sidecar_port=args.sidecar_port,
        nats_url=args.nats_url,
        log_format=args.log_format,
        log_level=args.log_level,
        state_dir=args.state_dir,
        reload=True if dev else None,
        supervise=False if args.no_sidecars else None,
    )
    logs.setup(settings.log_format, settings.log_level)
    host = Host(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal() -> None:
        if stop.is_set():
            print("stephost: forced exit", file=sys.stderr)
            os._exit(1)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        await host.start()
    except BaseException:
        await host.stop()
        raise
    await stop.wait()
    await host.stop()
    return 0


def _sidecar(args: argparse.Namespace) -> int:
    if args.language == "python":
        from stephost_sidecar.__main__ import main as sidecar_main

        sidecar_main(args.rest)
        return 0
    from stephost_host.sidecars.languages import languages

    cmd = languages()[args.language].command() + args.rest
    os.execvp(cmd[0], cmd)


def _emit(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.message)
    except ValueError as exc:
        print(f"stephost emit: --message is not valid JSON: {exc}", file=sys.stderr)
        return 2
    url, secret = args.url, args.secret
    runtime = Path(args.project) / ".stephost" / "runtime.json"
    if not url:
        if not runtime.is_file():
            print(f"stephost emit: no running host found ({runtime} missing); pass --url", file=sys.stderr)
            return 2
        info = json.loads(runtime.read_text())
        url, secret = info["http"], secret or info.get("secret")
    body: dict[str, Any] = {"topic": args.topic, "data": data}
    if args.group:
        body["messageGroupId"] = args.group
    req = urllib.request.Request(
        f"{url.rstrip('/')}/__stephost/emit",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    if secret:
        req.add_header("authorization", f"Bearer {secret}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            print(resp.read().decode())
    except urllib.error.HTTPError as exc:
        print(f"stephost emit: {exc.code} {exc.read().decode()}", file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"stephost emit: cannot reach {url}: {exc.reason}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("dev", "start"):
            code = _run_async(_run_host(args, dev=args.command == "dev"))
        elif args.command == "sidecar":
            code = _sidecar(args)
        else:
            code = _emit(args)
    except ConfigError as exc:
        print(f"stephost: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


def _run_async(coro: Any) -> int:
    try:
        import uvloop

        return int(uvloop.run(coro))
    except ImportError:
        return int(asyncio.run(coro))
