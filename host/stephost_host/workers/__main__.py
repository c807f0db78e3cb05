"""One worker of `stephost start --workers N`, as its manager starts it:
``python -m stephost_host.workers PLAN`` (PLAN: the JSON file manager.py wrote for it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from stephost_host import logs
from stephost_host.app import Host
from stephost_host.cli import run_async
from stephost_host.config import Settings
from stephost_host.errors import ConfigError
from stephost_host.stop_signals import serve
from stephost_host.workers.role import WorkerRole


def main(plan_file: str) -> int:
    plan = json.loads(Path(plan_file).read_text())
    role = WorkerRole(**plan["role"])
    settings = Settings.model_validate(plan["settings"])
    logs.setup(settings.log_format, settings.log_level, worker=role.index)
    try:
        return run_async(serve(Host(settings, worker=role)))
    except ConfigError as exc:
        print(f"stephost: worker {role.index}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
