"""``stephost create NAME [--template ...]``: a new project that runs and passes its tests."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from stephost_host import scaffold
from stephost_host.prompts import PromptAborted, ask, interactive
from stephost_host.supervisor import runtimes

BAD_ARGS = 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "create",
        help="make a new project: an api, an event and a cron step, a stream, and passing tests",
        description="Make a new project in the folder NAME (which must not exist, or be empty).",
    )
    p.add_argument("name", help="the project folder to make (its last part names the project)")
    p.add_argument(
        "--template",
        "-t",
        choices=list(scaffold.TEMPLATES),
        help=f"the language of the steps (asked on a terminal; default {scaffold.DEFAULT_TEMPLATE})",
    )
    p.set_defaults(func=run)


def _template(args: argparse.Namespace) -> str:
    if args.template:
        return str(args.template)
    if not interactive():
        return scaffold.DEFAULT_TEMPLATE
    for name, template in scaffold.TEMPLATES.items():
        print(f"  {name:<11} {template.summary}")
    return ask("Template", default=scaffold.DEFAULT_TEMPLATE, choices=list(scaffold.TEMPLATES))


def run(args: argparse.Namespace) -> int:
    target = Path(args.name)
    try:
        scaffold.refuse_existing(target)  # before any question: nothing to ask about a taken folder
        template = _template(args)
        written = scaffold.create_project(target, template)
    except scaffold.ScaffoldError as exc:
        print(f"stephost create: {exc}", file=sys.stderr)
        return BAD_ARGS
    except PromptAborted:
        print("stephost create: cancelled; nothing was written", file=sys.stderr)
        return BAD_ARGS
    except OSError as exc:  # e.g. a folder we may not write to
        print(f"stephost create: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    chosen = scaffold.TEMPLATES[template]
    print(f"Created {target} ({template}: {chosen.summary}). Next:\n")
    print(f"  cd {shlex.quote(str(target))}")
    print(f"  {chosen.test_command:<20} # the project's tests, on a real host")
    print(f"  {'stephost dev':<20} # serve it on http://localhost:3000, reloading on change")
    node_steps = any(p.suffix in (".ts", ".js") and ".step." in p.name for p in written)
    problem = runtimes.problem("node") if node_steps else None
    if problem:
        print(f"\nNote: {problem}")
    return 0
