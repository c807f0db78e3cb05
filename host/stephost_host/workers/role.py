"""What makes one worker of `stephost start --workers N` differ from its siblings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stephost_host.runtime import RuntimeFile

if TYPE_CHECKING:
    from stephost_host.config import Settings

READY_DIR = "workers"  # under the state directory: each worker's runtime file, for the manager


@dataclass(frozen=True)
class WorkerRole:
    index: int  # 0 .. N-1
    embedded_nats: bool  # the manager runs the project's embedded nats-server this worker uses

    def settings(self, s: Settings, http_port: int, nats_url: str) -> Settings:
        """The host settings of this worker: the manager's HTTP port (shared), its NATS, and a
        sidecar (and own ingress) port of its own, ``index`` above the configured one: a
        sidecar or agent in another container dials the worker it belongs to. 0 stays 0 (a
        free port each)."""

        def shifted(port: int | None) -> int | None:
            return port + self.index if port else port

        return s.model_copy(
            update={
                "workers": 1,
                "port": http_port,
                "nats_url": nats_url,
                "sidecar_port": shifted(s.sidecar_port),
                "ingress_port": shifted(s.ingress_port),
            }
        )

    def ready_file(self, state_dir: Path, describe: Callable[[], dict[str, Any]]) -> RuntimeFile:
        """Where this worker says it is ready and how it is reached (the manager waits for it,
        then writes the project's runtime.json)."""
        return RuntimeFile(state_dir / READY_DIR, describe, f"{self.index}.json")
