"""``stephost deploy [DIR]``: pack the project, send it to a host, follow the deploy live.

Exit codes: 0 completed, 1 failed, 2 cancelled, 3 unauthorised. Ctrl-C (or --detach) leaves
the deploy running on the host and says how to follow it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stephost_host.deployments.client import COMPLETED, EXIT, FAILED, ClientError, add_connection_args

if TYPE_CHECKING:
    from stephost_host.deployments.client import DeployClient

# The client checks nothing the host does not check again; this only fails early on a huge folder.
CLIENT_MAX_BYTES = 1 << 30


def add_parser(sub: Any) -> None:
    p = sub.add_parser("deploy", help="deploy a project folder to a running host (build, upload, switch)")
    p.add_argument("dir", nargs="?", default=".", help="the project folder to deploy (default .)")
    add_connection_args(p)
    p.add_argument(
        "--no-promote", action="store_true", help="build and start it, but leave the active version"
    )
    p.add_argument("--env-file", type=Path, help="KEY=value lines: this deployment's environment")
    p.add_argument("--message", "-m", default="", help="a description kept with the deployment")
    p.add_argument("--dry-run", action="store_true", help="build and print the plan; switch nothing")
    p.add_argument("--detach", action="store_true", help="start it and return without following it")
    p.add_argument("-v", "--verbose", action="store_true", help="stream the deploy's log")
    p.set_defaults(func=run)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value per line; blank lines and # comments skipped; values may be quoted."""
    env: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"cannot read --env-file {path}: {exc.strerror}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            raise ValueError(f"{path}:{number}: expected KEY=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def follow(client: DeployClient, ref: str, verbose: bool) -> int:
    """Show the deploy until it ends; its exit code. Ctrl-C detaches."""
    from stephost_host.deployments.display import Display  # rich: only to show a deploy

    record: dict[str, Any] | None = None
    try:
        with Display(verbose) as display:
            for item in client.watch(ref):
                if item["type"] == "snapshot":
                    record = item["deployment"]
                    display.snapshot(record)
                else:
                    display.log(item["line"])
            record = client.get(ref)
            display.snapshot(record)
        display.summary(record)
    except KeyboardInterrupt:
        print(
            f"\ndetached: the deploy goes on; follow it with `stephost deploys show {ref}`", file=sys.stderr
        )
        return COMPLETED
    return EXIT.get(record["status"], FAILED) if record else FAILED


def run(args: argparse.Namespace) -> int:
    from stephost_host.deployments.archive import ArchiveError, pack
    from stephost_host.deployments.client import DeployClient

    try:
        env = read_env_file(args.env_file) if args.env_file else {}
        source = pack(Path(args.dir), CLIENT_MAX_BYTES)
        client = DeployClient.from_args(args)
        record = client.create(
            versionName=Path(args.dir).resolve().name,
            description=args.message,
            env=env,
            promote=not args.no_promote,
            dryRun=args.dry_run,
        )
        client.upload(record["id"], source)
        record = client.start(record["id"])
    except (ValueError, ArchiveError) as exc:
        print(f"stephost deploy: {exc}", file=sys.stderr)
        return FAILED
    except ClientError as exc:
        print(f"stephost deploy: {exc.message}", file=sys.stderr)
        return exc.exit_code
    print(f"deployment #{record['number']} ({record['id']}) started on {client.url}", file=sys.stderr)
    if args.detach:
        print(record["id"])
        return COMPLETED
    try:
        return follow(client, record["id"], args.verbose)
    except ClientError as exc:
        print(f"stephost deploy: {exc.message}", file=sys.stderr)
        return exc.exit_code
