"""Printing figures beside their baseline from the same run (``--baseline DIR``), with the ratio."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.procs import Code

WIDTH = 62  # fits the orders rows marked ", recording off"


@dataclass(frozen=True)
class Figure:
    name: str
    values: dict[str, float]  # code label -> value
    digits: int = 0


def measure(
    codes: Sequence[Code],
    run: Callable[[Code, str], dict[str, float]],
    parts: Sequence[str] = ("",),
    turn: int = 0,
) -> dict[str, dict[str, float]]:
    """``run(code, part)`` for every part and code; returns figure name -> {code label -> value},
    in first-seen order. The codes take turns part by part, each part starting with the other
    code, so a burst of load elsewhere on a shared machine does not fall on one code only.
    ``turn`` shifts who goes first: a table measured in sections, such as the orders flow with
    each fsync setting, passes each section's index, so every part starts with the other code
    than it did in the section before (the first flow after a fresh nats-server's start ran 15-20%
    slower with fsync always, whichever code it was)."""
    out: dict[str, dict[str, float]] = {}
    for i, part in enumerate(parts, start=turn):
        for code in codes[::-1] if i % 2 else codes:
            for name, value in run(code, part).items():
                out.setdefault(name, {})[code.label] = value
    return {name: out[name] for name in out}


def table(title: str, figures: Sequence[Figure], codes: Sequence[Code]) -> None:
    """One row per figure: its value for each code and, with a baseline, this / baseline."""
    head = f"\n{title:<{WIDTH}}" + "".join(f" {c.label:>10}" for c in codes)
    print(head + (f" {'ratio':>7}" if len(codes) > 1 else ""))
    for f in figures:
        cells = [f.values.get(c.label) for c in codes]
        row = f"{f.name:<{WIDTH}}" + "".join(
            f" {'-':>10}" if v is None else f" {v:>10.{f.digits}f}" for v in cells
        )
        if len(codes) > 1:
            this, base = cells[0], cells[1]
            row += f" {this / base:>6.2f}x" if this is not None and base else f" {'-':>7}"
        print(row, flush=True)


def figures(measured: dict[str, dict[str, float]], digits: Callable[[str], int]) -> list[Figure]:
    return [Figure(name, values, digits(name)) for name, values in measured.items()]
