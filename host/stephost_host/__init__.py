"""The stephost host: HTTP routes, queues, cron, state and the sidecars that run steps."""

__version__ = "0.1.0"

import os as _os

# The host forks sidecar processes while gRPC threads run; gRPC's fork handlers are
# unnecessary for exec'd children and print a warning on every spawn.
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
