"""How `stephost deploy` shows a deploy moving: on a terminal, a live panel (the overall bar in
the progress bands, one row per phase, one per language build); otherwise one line per change,
so a CI log reads top to bottom. ``-v`` adds the log lines either way."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

MARK = {
    "pending": ("·", "dim"),
    "in_progress": ("▶", "cyan"),
    "completed": ("✓", "green"),
    "failed": ("✗", "red"),
    "cancelled": ("■", "yellow"),
    "skipped": ("-", "dim"),
}


def _duration(phase: dict[str, Any]) -> str:
    start, end = phase.get("startedAt"), phase.get("completedAt")
    return f"{end - start:.1f}s" if start and end else ""


def builds(record: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """language -> (steps built, first error)."""
    out: dict[str, tuple[int, str]] = {lang: (0, "") for lang in record.get("languages", [])}
    for item in record.get("build", []):
        built, error = out.get(item["language"], (0, ""))
        if item["status"] == "built":
            built += 1
        elif item["status"] == "error" and not error:
            error = f"{item['packagePath']}: {item['errorMessage']}"
        out[item["language"]] = (built, error)
    return out


def headline(record: dict[str, Any]) -> str:
    where = f" · {record['phase']}" if record.get("phase") else ""
    return f"deployment #{record['number']} · {record['status']}{where} · {record['progress']}%"


def panel(record: dict[str, Any]) -> Group:
    table = Table.grid(padding=(0, 2))
    for phase in record["phases"]:
        mark, style = MARK.get(phase["status"], ("?", ""))
        table.add_row(
            Text(mark, style=style), phase["name"], Text(phase["status"], style=style), _duration(phase)
        )
    for language, (built, error) in builds(record).items():
        status = Text(f"error: {error}", style="red") if error else Text(f"{built} steps built")
        table.add_row("", f"  build {language}", status, "")
    parts: list[Any] = [
        Text(headline(record), style="bold"),
        ProgressBar(total=100, completed=record["progress"]),
    ]
    parts.append(table)
    if record.get("message"):
        parts.append(Text(record["message"], style="red" if record["status"] == "failed" else ""))
    return Group(*parts)


class Display:
    def __init__(self, verbose: bool, out: TextIO = sys.stdout) -> None:
        self.verbose = verbose
        self.console = Console(file=out)
        self.live: Live | None = None
        self.out = out
        self._last = ""

    def __enter__(self) -> Display:
        if self.console.is_terminal:
            self.live = Live(console=self.console, refresh_per_second=8, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def snapshot(self, record: dict[str, Any]) -> None:
        if self.live is not None:
            self.live.update(panel(record))
            return
        phase = next((p for p in record["phases"] if p["name"] == record.get("phase")), None)
        line = headline(record) + (f" ({phase['status']})" if phase else "")
        if line != self._last:
            print(line, file=self.out, flush=True)
            self._last = line

    def log(self, line: str) -> None:
        if not self.verbose:
            return
        if self.live is not None:
            self.live.console.print(Text(line, style="dim"))
        else:
            print(f"  | {line}", file=self.out, flush=True)

    def summary(self, record: dict[str, Any]) -> None:
        """The last word: the outcome, the error with its phase and file, the plan of a dry run."""
        print(
            f"deployment #{record['number']} ({record['id']}) {record['status']}: {record['message']}",
            file=self.out,
        )
        if record.get("error") and record["status"] == "failed":
            file = f" in {record['errorFile']}" if record.get("errorFile") else ""
            print(f"error in phase {record['errorPhase']}{file}: {record['error']}", file=self.out)
        if record.get("dryRun") and record.get("plan"):
            print(plan_text(record["plan"]), file=self.out)


def plan_text(plan: dict[str, Any]) -> str:
    lines = ["plan:"]
    for kind in ("steps", "routes", "topics", "cron", "streams"):
        change = plan.get(kind, {})
        for what in ("added", "removed", "changed"):
            for item in change.get(what, []):
                lines.append(f"  {kind} {what}: {item}")
    for backlog in plan.get("pausedBacklogs", []):
        lines.append(
            f"  paused: {backlog['step']} on {backlog['topic']} ({backlog['pending']} pending; resumes after a rollback)"
        )
    return "\n".join(lines) if len(lines) > 1 else "plan: no changes to routes, topics, cron or streams"
