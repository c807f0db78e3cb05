"""The HTTP server component: serves an ASGI app on uvicorn from the socket ``ports.Ports``
bound before anything else started, and drains in-flight requests on stop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from functools import partial
from typing import Any

import uvicorn
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from stephost_host.http.app import StepHttp
from stephost_host.http.limits import HttpLimits, LimitedHttpProtocol
from stephost_host.memory import return_big_blocks


class _Uvicorn(uvicorn.Server):
    """uvicorn, minus its signal handling, plus an event for "listening"."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the Host owns signals and decides the shutdown order

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


class HttpServer:
    name = "http"

    def __init__(
        self, app: Any, sock: socket.socket, *, drain_seconds: float, limits: HttpLimits = HttpLimits()
    ) -> None:
        self.sock = sock  # bound already (ports.py); a worker's listens once uvicorn serves on it
        self.port: int = sock.getsockname()[1]  # the one asked for may be 0
        self.stop_timeout = drain_seconds + 5.0
        config = uvicorn.Config(
            app,
            log_config=None,
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=int(drain_seconds) or 1,
            # Header/body timeouts and the connection cap (http/limits.py).
            http=LimitedHttpProtocol.with_limits(limits),
            # uvicorn's own cap still guards WebSocket upgrades (it counts this one too).
            limit_concurrency=limits.max_connections + 1,
            ws_max_size=limits.max_body_bytes,
            proxy_headers=not isinstance(app, StepHttp),
        )
        if isinstance(app, StepHttp):
            # X-Forwarded-For/-Proto (from FORWARDED_ALLOW_IPS, uvicorn's setting) change only a
            # request's client and scheme, which a step never sees: the host's own endpoints
            # still get them, api-step requests skip the work.
            app.behind_proxies(partial(ProxyHeadersMiddleware, trusted_hosts=config.forwarded_allow_ips))
        self.server = _Uvicorn(config)
        self._serving: asyncio.Task[None] | None = None

    async def start(self) -> None:
        return_big_blocks()  # request bodies are the host's biggest allocations
        sock = self.sock
        serving = asyncio.create_task(self.server.serve(sockets=[sock]))
        listening = asyncio.create_task(self.server.listening.wait())
        await asyncio.wait({serving, listening}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if serving.done():  # it ended before listening: say why
            sock.close()
            serving.result()
            raise RuntimeError("the HTTP server stopped during start-up")
        self._serving = serving

    async def stop(self) -> None:
        """Stop accepting, then let in-flight requests finish (up to the drain period)."""
        self.server.should_exit = True
        if self._serving:
            await self._serving
