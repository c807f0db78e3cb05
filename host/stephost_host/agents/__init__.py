"""Agents: sidecars with no project files that build versions and run them in workers.

An agent dials the sidecar port like any sidecar, with ``Hello.agent`` set; the link hands
it to the ``AgentPool``, which sends it bundles and commands (build, start, stop, cancel)
and turns its events into results and worker state changes (docs/agents.md).
"""

from stephost_host.agents.models import AgentError, BuildOutcome, WorkerEvent, WorkerExited
from stephost_host.agents.pool import AgentPool
from stephost_host.agents.ready import wait_ready

__all__ = ["AgentError", "AgentPool", "BuildOutcome", "WorkerEvent", "WorkerExited", "wait_ready"]
