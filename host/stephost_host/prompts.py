"""Questions the scaffolding commands ask on a terminal, for what their flags left out."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


class PromptAborted(Exception):
    """The terminal closed (EOF) or the user pressed Ctrl-C before answering."""


def interactive() -> bool:
    """Ask only a person: a script or a pipe gets an error naming the flag instead."""
    return sys.stdin.isatty()


def ask(
    question: str,
    *,
    default: str | None = None,
    choices: Sequence[str] = (),
    check: Callable[[str], str | None] | None = None,
) -> str:
    """One answer: the default on an empty line, one of ``choices`` when given, and whatever
    ``check`` does not object to (it returns the objection); asks again until it has one."""
    hint = f" ({'/'.join(choices)})" if choices else ""
    suffix = f" [{default}]" if default else ""
    while True:
        try:
            answer = input(f"{question}{hint}{suffix}: ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            raise PromptAborted from None
        answer = answer or (default or "")
        if not answer:
            print("  an answer is needed", file=sys.stderr)
        elif choices and answer not in choices:
            print(f"  pick one of: {', '.join(choices)}", file=sys.stderr)
        elif check is not None and (objection := check(answer)):
            print(f"  {objection}", file=sys.stderr)
        else:
            return answer
