"""``stephost deploys list|show|logs|cancel|promote|rollback``: a host's deployment history.

``show`` and ``logs`` take an id or a number; ``rollback`` without one goes back to the
deployment that was active before. ``promote`` and ``rollback`` follow the switch until it
ends, like ``stephost deploy`` (``--detach`` returns at once), so the next command sees the
new version active. Exit codes as ``stephost deploy`` (3: unauthorised).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from stephost_host.commands.deploy import follow
from stephost_host.deployments.client import COMPLETED, FAILED, ClientError, DeployClient, add_connection_args

ACTIONS = ("list", "show", "logs", "cancel", "promote", "rollback")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "deploys", help="list, show, print the log of, cancel, promote or roll back deployments"
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("ref", nargs="?", default="", help="a deployment id or number")
    p.add_argument("--status", default="", help="list: only deployments with this status")
    p.add_argument("--json", action="store_true", help="print JSON (promote, rollback: as started)")
    p.add_argument(
        "--detach", action="store_true", help="promote, rollback: start it and return without following it"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="promote, rollback: stream the log")
    add_connection_args(p)
    p.set_defaults(func=run)


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _row(r: dict[str, Any]) -> str:
    active = "*" if r["isActive"] else " "
    what = r["kind"] if r["kind"] != "deploy" else (r["versionName"] or "")
    activation = f" {r['activation']}" if r["activation"] else ""
    return (
        f"{active} #{r['number']:<4} {r['id']}  {r['status']:<10}{activation:<12} {r['versionId'] or '-':<14} "
        f"{_when(r['createdAt'])}  {what}  {r['message']}"
    )


def run(args: argparse.Namespace) -> int:
    needs_ref = args.action in ("show", "logs", "cancel", "promote")
    if needs_ref and not args.ref:
        print(f"stephost deploys {args.action}: name a deployment (id or number)", file=sys.stderr)
        return FAILED
    try:
        client = DeployClient.from_args(args)
        if args.action == "list":
            records = client.history(args.status)
            if args.json:
                print(json.dumps(records, indent=2))
            else:
                for r in records:
                    print(_row(r))
            return COMPLETED
        if args.action == "logs":
            sys.stdout.write(client.logs(args.ref))
            return COMPLETED
        record = client.get(args.ref) if args.action == "show" else client.act(args.ref, args.action)
        switching = args.action in ("rollback", "promote")
        if switching and not (args.detach or args.json):
            print(
                f"deployment #{record['number']} ({record['kind']}) started on {client.url}", file=sys.stderr
            )
            return follow(client, record["id"], args.verbose)
    except ClientError as exc:
        print(f"stephost deploys {args.action}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        from rich.console import Console

        from stephost_host.deployments.display import panel, plan_text

        Console().print(panel(record))
        if record.get("plan"):
            print(plan_text(record["plan"]))
        if switching:
            print(f"follow it with `stephost deploys show {record['number']}`")
    return COMPLETED
