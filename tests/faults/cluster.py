"""A real 3-node NATS JetStream cluster on loopback, for fault tests.

Each node is an ``EmbeddedNats`` (the host's own launcher) with a ``cluster {}`` block routing
it to the others, its own store directory and a monitoring port. Readiness is read from each
server's output, then the cluster counts as up once the JetStream meta leader is elected and
a replicated (R3) stream can be created, never by sleeping.

The servers' event loop runs on a thread of its own, so their output keeps being read (a
full pipe would stall a server) while the test blocks on HTTP calls. That thread lives until
close(): the servers are started with PR_SET_PDEATHSIG, which fires when the thread that
started them ends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nats
from nats.aio.client import Client as NATS
from nats.js.api import StorageType, StreamConfig

from stephost_host.natsio.embedded import EmbeddedNats
from tests.harness import eventually, free_ports

T = TypeVar("T")
PROBE_STREAM = "STEPHOST_TEST_PROBE"
NATS_LOG = logging.getLogger("stephost.nats")  # where EmbeddedNats mirrors server warnings


class _QuietRoutes(logging.Filter):
    """A killed node's peers retry its route every second; one line each is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Error trying to connect to route" not in record.getMessage()


class Node:
    def __init__(self, index: int, store: Path, port: int, cluster_port: int, http_port: int) -> None:
        self.name = f"n{index}"
        self.port = port
        self.cluster_port = cluster_port
        self.http_port = http_port
        self.url = f"nats://127.0.0.1:{port}"
        self.monitor = f"http://127.0.0.1:{http_port}"
        self.store = store
        self.server: EmbeddedNats

    def configure(self, cluster_name: str, routes: list[int], sync_always: bool) -> None:
        route_urls = ", ".join(f"nats-route://127.0.0.1:{p}" for p in routes)
        extra = (
            f"cluster {{\n  name: {cluster_name}\n  listen: 127.0.0.1:{self.cluster_port}\n"
            f"  routes: [{route_urls}]\n}}\n"
            f"http: 127.0.0.1:{self.http_port}\n"
        )
        self.server = EmbeddedNats(
            self.store, port=self.port, sync_always=sync_always, server_name=self.name, extra_config=extra
        )

    @property
    def running(self) -> bool:
        proc = self.server.proc
        return proc is not None and proc.returncode is None

    def client_names(self) -> list[str]:
        """Names of the clients connected to this node (from its /connz monitoring endpoint)."""
        conns = httpx.get(self.monitor + "/connz", timeout=2).json().get("connections") or []
        return [str(c.get("name", "")) for c in conns]

    def healthy(self) -> bool:
        """/healthz is 200 once this node's JetStream is current with the cluster."""
        try:
            return httpx.get(self.monitor + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


class NatsCluster:
    """Three (or `size`) routed nats-servers with JetStream; stop/kill/restart one node at a time."""

    def __init__(self, root: Path, size: int = 3, sync_always: bool = True, name: str = "stephost_test"):
        ports = free_ports(3 * size)
        self.nodes = [
            Node(i, root / f"n{i}", ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]) for i in range(size)
        ]
        for node in self.nodes:
            node.configure(name, [n.cluster_port for n in self.nodes if n is not node], sync_always)
        self._quiet = _QuietRoutes()
        NATS_LOG.addFilter(self._quiet)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="nats-cluster", daemon=True)
        self._thread.start()
        self._nc: NATS | None = None
        try:
            self.run(self._start_all())
            self.wait_jetstream()
        except BaseException:
            self.close()
            raise

    # -- plumbing ---------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run a coroutine on the cluster's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start_all(self) -> None:
        await asyncio.gather(*(n.server.start() for n in self.nodes))

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    @property
    def url(self) -> str:
        """Every node, comma-separated: what STEPHOST_NATS_URL takes."""
        return ",".join(self.urls)

    async def client(self) -> NATS:
        """The helper's own connection (to any live node), for JetStream checks."""
        if self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(
                self.urls, name="stephost-test-cluster", max_reconnect_attempts=-1, reconnect_time_wait=0.2
            )
        return self._nc

    # -- readiness ----------------------------------------------------------------------------

    def wait_jetstream(self, timeout: float = 30.0) -> None:
        """Until a meta leader is elected and an R3 stream can be created (then removed)."""

        async def probe() -> bool:
            js = (await self.client()).jetstream(timeout=2)
            try:
                await js.add_stream(
                    StreamConfig(
                        name=PROBE_STREAM,
                        subjects=["stephost.test.probe"],
                        storage=StorageType.MEMORY,
                        num_replicas=len(self.nodes),
                    )
                )
                await js.delete_stream(PROBE_STREAM)
            except Exception as exc:  # 503 "JetStream system temporarily unavailable", timeouts
                raise AssertionError(f"JetStream not ready: {exc!r}") from exc
            return True

        eventually(lambda: self.run(probe()), timeout, interval=0.2, what="the JetStream cluster")

    def connected_node(self, client_name: str) -> Node:
        """The node a named client (e.g. "stephost-host") is connected to right now."""

        def find() -> Node | None:
            found = [n for n in self.nodes if n.running and client_name in n.client_names()]
            return found[0] if len(found) == 1 else None

        node = eventually(find, 10, what=f"the node {client_name!r} is connected to")
        assert node is not None
        return node

    def stream_replicas(self, stream: str) -> tuple[int, int]:
        """(configured replicas, peers that are current, the leader included) of a stream."""

        async def info() -> tuple[int, int]:
            try:
                si = await (await self.client()).jetstream(timeout=2).stream_info(stream)
            except Exception as exc:  # no leader yet (a timeout), or a 503 mid-election
                raise AssertionError(f"no info for {stream}: {exc!r}") from exc
            replicas = (si.cluster.replicas if si.cluster else None) or []
            peers = 1 + len([r for r in replicas if r.current and not r.offline])
            return int(si.config.num_replicas or 1), peers

        return self.run(info())

    # -- faults -------------------------------------------------------------------------------

    def kill(self, node: Node) -> None:
        """SIGKILL one node: no flush, no goodbye to its routes or clients."""
        node.server.kill()
        self.run(node.server.proc.wait())  # type: ignore[union-attr]

    def stop(self, node: Node) -> None:
        """SIGTERM one node (a clean shutdown)."""
        self.run(node.server.stop())

    def restart(self, node: Node, timeout: float = 30.0) -> None:
        """Start a stopped node again on its ports and store; wait until it has caught up."""
        assert not node.running, f"{node.name} is still running"
        self.run(node.server.start())
        eventually(node.healthy, timeout, interval=0.2, what=f"{node.name} to rejoin and catch up")

    def close(self) -> None:
        async def shutdown() -> None:
            if self._nc is not None and not self._nc.is_closed:
                await self._nc.close()
            await asyncio.gather(*(n.server.stop() for n in self.nodes), return_exceptions=True)

        try:
            self.run(shutdown(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()
            NATS_LOG.removeFilter(self._quiet)

    def __enter__(self) -> NatsCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
