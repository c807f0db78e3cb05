"""The ``stephost`` command: dev, start, sidecar, emit.

Building the parser imports no command's implementation: the suite and every sidecar start
this process many times, so each command imports what it needs when it runs (tests/
test_cli_startup.py keeps it so).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stephost_host import dlq_cli
from stephost_host.commands import COMMANDS
from stephost_host.errors import ConfigError
from stephost_host.running import NOT_FOUND, OK, REFUSED, NoRunningHost, running_host

if TYPE_CHECKING:
    from collections.abc import Coroutine

_install_log = logging.getLogger("stephost.install")
log = logging.getLogger("stephost")


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", default=".", help="project directory (default: .)")
    p.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (default 3000; 0 picks a free one)")
    p.add_argument("--sidecar-host", help="address sidecars dial (default 127.0.0.1)")
    p.add_argument("--sidecar-port", type=int, help="port sidecars dial (default 7070; 0 picks a free one)")
    p.add_argument(
        "--nats-url",
        help="use this NATS server (or a cluster: several URLs, comma-separated) instead of an embedded one",
    )
    # Credentials for that server beyond the URL's own (user:password@ or token@).
    p.add_argument("--nats-creds", type=Path, help="a NATS JWT .creds file")
    p.add_argument("--nats-nkey", type=Path, help="a NATS NKey seed file")
    p.add_argument("--nats-tls-ca", type=Path, help="PEM CA bundle that signed the NATS server's certificate")
    p.add_argument("--nats-tls-cert", type=Path, help="PEM client certificate for NATS (with --nats-tls-key)")
    p.add_argument("--nats-tls-key", type=Path, help="the client certificate's private key")
    p.add_argument("--log-format", choices=["text", "json"])
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    p.add_argument(
        "--state-dir",
        type=Path,
        help="embedded NATS data and runtime file (default PROJECT/.stephost, or a per-user folder "
        "when PROJECT is read-only)",
    )
    p.add_argument(
        "--no-sidecars", action="store_true", help="start no sidecars; they dial in from elsewhere"
    )
    p.add_argument("--ingress-host", help="gRPC ingress bind address when it has its own port")
    p.add_argument(
        "--ingress-port", type=int, help="give the gRPC ingress its own port (default: the sidecar port)"
    )
    p.add_argument(
        "--ingress-allow-anonymous",
        action="store_true",
        help="let the gRPC ingress listen beyond loopback without a token",
    )
    p.add_argument("--no-ingress", action="store_true", help="do not serve the gRPC ingress")
    p.add_argument(
        "--workers",
        type=int,
        help="`start`: host processes sharing the HTTP port, each with its own sidecars (default 1)",
    )
    p.add_argument(
        "--replay-new-subscribers",
        action="store_true",
        help="an event step added while the host runs handles every stored event, not only new ones",
    )
    p.add_argument(
        "--recreate-missing-store",
        action="store_true",
        help="create, empty, a stream or bucket this host made before and NATS no longer has",
    )


class _Version(argparse.Action):
    """``--version``: the installed package's version (the one pip and the wheel name show),
    looked up only when asked for (importlib.metadata is slow to import)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        import importlib.metadata

        try:
            version = importlib.metadata.version("stephost")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown (not installed as a package)"
        print(f"stephost {version}")  # on stdout, as argparse's own version action does
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stephost", description="A polyglot step host.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run a project for development (embedded NATS, sidecars, reload)")
    _serve_args(dev)
    start = sub.add_parser("start", help="run a project in production mode (no reload)")
    _serve_args(start)
    side = sub.add_parser("sidecar", help="run one language's sidecar on its own, dialling a host")
    side.add_argument("language", choices=["python", "node", "ruby"])
    side.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        help="--connect HOST:PORT [--secret S | --state-dir DIR] PROJECT (the secret defaults to "
        "STEPHOST_SECRET, then the one a local host generated in PROJECT/.stephost/secret)",
    )
    emit = sub.add_parser("emit", help="emit an event into a running host")
    emit.add_argument("--topic", required=True)
    data = emit.add_mutually_exclusive_group(required=True)
    data.add_argument("--message", help="the event data as JSON (`-`: read it from stdin)")
    data.add_argument("--message-file", help="a file holding the event data as JSON (`-`: stdin)")
    emit.add_argument("--group", help="messageGroupId")
    emit.add_argument("--idempotency-key", help="a retry with the same key stores nothing new")
    emit.add_argument("--trace-id", help="the trace id the event carries (default: a new one)")
    emit.add_argument("--project", default=".", help="project whose running host to use (default .)")
    emit.add_argument(
        "--state-dir", type=Path, help="where that host keeps runtime.json (default PROJECT/.stephost)"
    )
    emit.add_argument("--address", help="the host's gRPC ingress HOST:PORT (default: from runtime.json)")
    emit.add_argument("--token", default=os.environ.get("STEPHOST_INGRESS_TOKEN"), help="ingress token")
    emit.add_argument("--tls", action="store_true", help="use TLS (implied when runtime.json says so)")
    emit.add_argument("--ca-file", type=Path, help="PEM root certificate(s) to trust for TLS")
    emit.add_argument("--tls-server-name", help="the name the TLS certificate is issued to")
    dlq_cli.add_parser(sub)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


async def _run_host(args: argparse.Namespace, dev: bool) -> int:
    from stephost_host import logs
    from stephost_host.app import Host
    from stephost_host.config import load_settings
    from stephost_host.stop_signals import serve
    from stephost_host.supervisor import project_deps
    from stephost_host.supervisor.installing import InstallError

    settings = load_settings(
        args.project,
        host=args.host,
        port=args.port,
        sidecar_host=args.sidecar_host,
        sidecar_port=args.sidecar_port,
        nats_url=args.nats_url,
        nats_creds=args.nats_creds,
        nats_nkey=args.nats_nkey,
        nats_tls_ca=args.nats_tls_ca,
        nats_tls_cert=args.nats_tls_cert,
        nats_tls_key=args.nats_tls_key,
        log_format=args.log_format,
        log_level=args.log_level,
        state_dir=args.state_dir,
        reload=True if dev else None,
        supervise=False if args.no_sidecars else None,
        ingress_host=args.ingress_host,
        ingress_port=args.ingress_port,
        ingress_allow_anonymous=True if args.ingress_allow_anonymous else None,
        ingress=False if args.no_ingress else None,
        recreate_missing_store=True if args.recreate_missing_store else None,
        replay_new_subscribers=True if args.replay_new_subscribers else None,
        workers=args.workers,
    )
    logs.setup(settings.log_format, settings.log_level)
    if settings.supervise:
        # The project's venv / Ruby bundle, when out of date, before any sidecar starts in it.
        try:
            project_deps.prepare(
                settings.project, settings.runtime_dir, _install_log.info, settings.languages
            )
        except InstallError as exc:
            print(f"stephost: {exc}", file=sys.stderr)
            return 1
    if settings.workers > 1:
        if not dev:
            from stephost_host.workers.manager import run_workers

            return await run_workers(settings)
        log.warning(
            "workers=%d: `stephost dev` runs one host; workers are for `stephost start`", settings.workers
        )
    return await serve(Host(settings, dev=dev))


def _sidecar_args(rest: list[str]) -> list[str]:
    """The sidecar's own arguments, minus ``--state-dir``; the project's ``.env`` goes into this
    process's environment (under the real one); with no secret given (flag or
    STEPHOST_SECRET), the one a host on this machine generated for the project goes into
    STEPHOST_SECRET, which every language's sidecar reads."""
    from stephost_host import envfile
    from stephost_host.runtime import find_secret
    from stephost_host.state_dir import default_state_dir

    p = argparse.ArgumentParser(add_help=False)
    for flag in ("--connect", "--secret", "--sidecar-id", "--capacity", "--work-dir"):  # take a value
        p.add_argument(flag)
    p.add_argument("--state-dir", type=Path)
    p.add_argument("project", nargs="?", default=os.environ.get("STEPHOST_PROJECT", "."))
    known, _ = p.parse_known_args(rest)
    envfile.load_into_process(Path(known.project))  # the sidecar (this process or its exec) reads it
    if known.secret is None and not os.environ.get("STEPHOST_SECRET"):
        secret = find_secret(known.state_dir or default_state_dir(Path(known.project)))
        if secret:
            os.environ["STEPHOST_SECRET"] = secret
    forwarded: list[str] = []
    skip = False
    for arg in rest:  # the sidecars do not know --state-dir
        if skip or arg.startswith("--state-dir="):
            skip = False
        elif arg == "--state-dir":
            skip = True
        else:
            forwarded.append(arg)
    return forwarded


def _sidecar(args: argparse.Namespace) -> int:
    rest = _sidecar_args(args.rest)
    if args.language == "python":
        from stephost_sidecar.__main__ import main as sidecar_main

        sidecar_main(rest)
        return 0
    from stephost_host.supervisor.languages import languages

    cmd = languages()[args.language].command() + rest
    os.execvp(cmd[0], cmd)


def _event_data(args: argparse.Namespace) -> Any:
    """The --message JSON, from the flag, a file, or stdin (`-`); ValueError says what is wrong."""
    source = args.message if args.message is not None else args.message_file
    flag = "--message" if args.message is not None else "--message-file"
    if source == "-":
        text, flag = sys.stdin.read(), f"{flag} - (stdin)"
    elif args.message_file is not None:
        try:
            text = Path(source).read_text()
        except OSError as exc:
            raise ValueError(f"cannot read --message-file {source}: {exc.strerror}") from None
    else:
        text = source
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{flag} is not valid JSON: {exc}") from None


def _emit(args: argparse.Namespace) -> int:
    try:
        data = _event_data(args)
    except ValueError as exc:
        print(f"stephost emit: {exc}", file=sys.stderr)
        return NOT_FOUND
    from stephost.client import Client, IngressError

    address, token, tls = args.address, args.token, args.tls
    if not address:
        try:
            info = running_host(args.project, args.state_dir, "--address HOST:PORT")
        except NoRunningHost as exc:
            print(f"stephost emit: {exc}", file=sys.stderr)
            return NOT_FOUND
        if not info.get("ingress"):
            print("stephost emit: the running host serves no gRPC ingress (ingress = false)", file=sys.stderr)
            return NOT_FOUND
        address, token, tls = (
            info["ingress"],
            token or info.get("ingress_token"),
            tls or info.get("ingress_tls"),
        )
    try:
        with Client(
            address,
            token=token or None,
            tls=bool(tls),
            root_certificates=args.ca_file,
            tls_server_name=args.tls_server_name,
            timeout=10,
        ) as client:
            receipt = client.emit(
                args.topic,
                data,
                message_group_id=args.group,
                idempotency_key=args.idempotency_key,
                trace_id=args.trace_id,
            )
            subscribers = [s.name for s in client.list_steps() if args.topic in s.subscribes]
    except IngressError as exc:
        print(f"stephost emit: {address}: {exc}", file=sys.stderr)
        return REFUSED
    except OSError as exc:
        print(f"stephost emit: cannot read {args.ca_file}: {exc.strerror}", file=sys.stderr)
        return NOT_FOUND
    if not subscribers:
        # Stored, but nothing handles it: most often a typo in the topic.
        print(
            f"stephost emit: warning: no step subscribes to topic {args.topic!r}; the event is stored, "
            "and a step that subscribes later starts after it",
            file=sys.stderr,
        )
    out = {
        "traceId": receipt.trace_id,
        "stream": receipt.stream,
        "sequence": receipt.sequence,
        "duplicate": receipt.duplicate,
    }
    print(json.dumps(out))
    return OK


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("dev", "start"):
            code = run_async(_run_host(args, dev=args.command == "dev"))
        elif args.command == "sidecar":
            code = _sidecar(args)
        elif args.command == "dlq":
            code = dlq_cli.run(args)
        elif getattr(args, "func", None) is not None:
            code = args.func(args)
        else:
            code = _emit(args)
    except ConfigError as exc:
        print(f"stephost: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


def run_async(coro: Coroutine[Any, Any, int]) -> int:
    try:
        import uvloop

        return int(uvloop.run(coro))
    except ImportError:
        import asyncio

        return int(asyncio.run(coro))
