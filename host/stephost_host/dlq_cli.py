"""``stephost dlq list|show|replay|discard``: dead letters of a running host, over its HTTP API."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from stephost_host.running import NOT_FOUND, OK, REFUSED, NoRunningHost, running_host
from stephost_host.runtime import find_secret
from stephost_host.state_dir import default_state_dir


def add_parser(sub: Any) -> None:
    dlq = sub.add_parser("dlq", help="list, show, replay or discard dead letters of a running host")
    dlq.add_argument("action", choices=["list", "show", "replay", "discard"])
    dlq.add_argument("ids", nargs="*", type=int, help="dead letter ids (show, replay, discard)")
    dlq.add_argument("--step", help="only this step's dead letters")
    dlq.add_argument("--all", action="store_true", help="replay or discard every dead letter")
    dlq.add_argument("--json", action="store_true", help="print JSON instead of a table")
    dlq.add_argument("--project", default=".", help="project whose running host to use (default .)")
    dlq.add_argument("--state-dir", type=Path, help="where that host keeps runtime.json")
    dlq.add_argument("--url", help="the host's HTTP URL (default: from runtime.json)")
    dlq.add_argument(
        "--secret",
        default=os.environ.get("STEPHOST_SECRET"),
        help="the host's secret (default: STEPHOST_SECRET, then runtime.json or the generated one)",
    )


class Failed(Exception):
    pass


def _host(args: argparse.Namespace) -> tuple[str, str | None]:
    if args.url:
        state_dir = args.state_dir or default_state_dir(Path(args.project))
        return args.url.rstrip("/"), args.secret or find_secret(state_dir) or None
    info = running_host(args.project, args.state_dir, "--url URL")
    return str(info["http"]), args.secret or info.get("secret")


def _call(url: str, secret: str | None, path: str, body: dict[str, Any] | None = None) -> Any:
    import urllib.error
    import urllib.request  # here: slow to import, and every `stephost` start builds this parser

    req = urllib.request.Request(
        url + "/__stephost/dlq" + path,
        method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json"},
    )
    if secret:
        req.add_header("authorization", f"Bearer {secret}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error")
        except ValueError:
            detail = exc.reason
        raise Failed(f"{exc.code}: {detail}") from None
    except urllib.error.URLError as exc:
        raise Failed(f"cannot reach {url}: {exc.reason}") from None


def _row(d: dict[str, Any]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.get("lastFailedAt", 0)))
    err = d.get("error") or {}
    return (
        f"{d['id']:>6}  {when}  {d['step']:<24} {d['topic']:<24} {d['attempts']:>3}x  "
        f"{err.get('type', '?')}: {err.get('message', '')}"[:200]
    )


def run(args: argparse.Namespace) -> int:
    try:
        url, secret = _host(args)
        if args.action == "list":
            found = _call(url, secret, "?" + urllib.parse.urlencode({"step": args.step} if args.step else {}))
            if args.json:
                print(json.dumps(found, indent=2))
            else:
                print(f"{'id':>6}  {'last failure':<19}  {'step':<24} {'topic':<24} tries  error")
                for d in found:
                    print(_row(d))
                print(f"{len(found)} dead letter(s)")
        elif args.action == "show":
            if len(args.ids) != 1:
                raise Failed("show takes exactly one id")
            print(json.dumps(_call(url, secret, f"/{args.ids[0]}"), indent=2))
        else:
            if not (args.ids or args.step or args.all):
                raise Failed(f"{args.action} needs ids, --step STEP or --all")
            selection = {"ids": args.ids or None, "step": args.step, "all": args.all}
            result = _call(url, secret, f"/{args.action}", selection)
            done = result.get("replayed", result.get("discarded", []))
            verb = "replayed" if args.action == "replay" else "discarded"
            print(f"{verb} {len(done)} dead letter(s): {', '.join(map(str, done)) or '-'}")
    except NoRunningHost as exc:
        print(f"stephost dlq {args.action}: {exc}", file=sys.stderr)
        return NOT_FOUND
    except Failed as exc:
        print(f"stephost dlq {args.action}: {exc}", file=sys.stderr)
        return REFUSED
    return OK
