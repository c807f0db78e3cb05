"""One worker of `stephost start --workers N`, as its manager starts it:
``python -m stephost_host.workers STATE_DIR INDEX`` with its plan (role and settings, JSON) on
standard input, so the secrets the settings carry are never written to a file. The arguments
only say, in `ps`, which project's worker this is."""

from __future__ import annotations

import json
import sys

from stephost_host import logs
from stephost_host.app import Host
from stephost_host.cli import run_async
from stephost_host.config import Settings
from stephost_host.errors import ConfigError
from stephost_host.stop_signals import serve
from stephost_host.workers.role import WorkerRole


def main() -> int:
    plan = json.loads(sys.stdin.read())
    role = WorkerRole(**plan["role"])
    settings = Settings.model_validate(plan["settings"])
    logs.setup(settings.log_format, settings.log_level, worker=role.index)
    try:
        # A repeated SIGTERM (a supervisor signalling the group, then the manager) is not a
        # "stop now": the manager kills a worker that overruns its drain.
        return run_async(serve(Host(settings, worker=role), repeat_forces_exit=False))
    except ConfigError as exc:
        print(f"stephost: worker {role.index}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
