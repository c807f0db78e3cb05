"""What makes one worker of `stephost start --workers N` differ from its siblings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stephost_host.errors import ConfigError
from stephost_host.runtime import RuntimeFile

if TYPE_CHECKING:
    from stephost_host.config import Settings

READY_DIR = "workers"  # under the state directory: each worker's runtime file, for the manager
METRICS_DIR = "metrics"  # under READY_DIR: the workers' metrics files (observe/metrics.py), shared


def shared_metrics_dir(state_dir: Path) -> Path:
    return state_dir / READY_DIR / METRICS_DIR


def shifted(port: int | None, index: int) -> int | None:
    """Worker ``index``'s port for a configured one: ``index`` above it, so a sidecar or agent
    in another container dials the worker it belongs to. 0 stays 0 (a free port each)."""
    return port + index if port else port


def check_ports(s: Settings) -> None:
    """The ports the workers will take do not run past 65535 nor into each other's."""
    ranges = {
        name: range(port, port + s.workers)
        for name, port in (("sidecar_port", s.sidecar_port), ("ingress_port", s.ingress_port))
        if port
    }
    for name, taken in ranges.items():
        if taken.stop - 1 > 65535:
            raise ConfigError(
                f"{name}={taken.start} with workers={s.workers}: worker i listens on {name} + i, past 65535"
            )
        if s.port in taken:
            raise ConfigError(f"port={s.port} is one of the workers' {name}s {taken.start}..{taken.stop - 1}")
    if len(ranges) == 2 and set(ranges["sidecar_port"]) & set(ranges["ingress_port"]):
        raise ConfigError(
            f"sidecar_port={s.sidecar_port} and ingress_port={s.ingress_port} overlap with workers={s.workers}:"
            " worker i takes each + i"
        )


@dataclass(frozen=True)
class WorkerRole:
    index: int  # 0 .. N-1
    embedded_nats: bool  # the manager runs the project's embedded nats-server this worker uses

    def settings(self, s: Settings, http_port: int, nats_url: str) -> Settings:
        """The host settings of this worker: the manager's HTTP port (shared), its NATS, and
        sidecar and own-ingress ports of its own (``shifted``)."""
        return s.model_copy(
            update={
                "workers": 1,
                "port": http_port,
                "nats_url": nats_url,
                "sidecar_port": shifted(s.sidecar_port, self.index),
                "ingress_port": shifted(s.ingress_port, self.index),
            }
        )

    def ready_path(self, state_dir: Path) -> Path:
        """Where this worker says it is ready and how it is reached (the manager waits for it,
        then writes the project's runtime.json)."""
        return state_dir / READY_DIR / f"{self.index}.json"

    def ready_file(self, state_dir: Path, describe: Callable[[], dict[str, Any]]) -> RuntimeFile:
        path = self.ready_path(state_dir)
        return RuntimeFile(path.parent, describe, path.name)
