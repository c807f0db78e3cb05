"""The blocking client: ``AsyncClient`` on a private event loop in a background thread.

One implementation serves both: each blocking method submits the async method to the
client's own loop and waits for its result, so the two clients cannot drift apart.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from stephost.client.aio import DEFAULT_TARGET, AsyncClient, AsyncSubscription
from stephost.client.values import StreamChange

P = ParamSpec("P")
R = TypeVar("R")
_END = object()  # what _next returns when a subscription is over


class _LoopThread:
    """An event loop running in a daemon thread, so an unclosed client never blocks exit."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.closed = False
        self._thread = threading.Thread(target=self._serve, name="stephost-client", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, R]) -> R:
        """Run a coroutine on the loop and wait for it (from any other thread)."""
        if self.closed:
            coro.close()
            raise RuntimeError("the stephost client is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. Ctrl-C while waiting: the call stops too
            raise

    def stop(self) -> None:
        if not self.closed:
            self.closed = True
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()


async def _open(**kwargs: Any) -> AsyncClient:
    return AsyncClient(**kwargs)  # a grpc.aio channel belongs to the loop it is made on


async def _next(changes: AsyncIterator[StreamChange]) -> Any:
    return await anext(changes, _END)


async def _cancel(sub: AsyncSubscription) -> None:
    sub.cancel()


def _shutdown(loop: _LoopThread, client: AsyncClient) -> None:
    if not loop.closed:
        try:
            loop.run(client.close())
        finally:
            loop.stop()


def _blocking(
    method: Callable[Concatenate[AsyncClient, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Client, P], R]:
    """The blocking form of an ``AsyncClient`` method: same parameters, same result."""

    @functools.wraps(method)
    def call(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._loop.run(method(self._async, *args, **kwargs))

    call.__module__, call.__qualname__ = __name__, f"Client.{method.__name__}"
    return call


class Subscription:
    """Changes of one stream group (or item) from a ``Client``; iterate, then ``cancel()``
    or leave the ``with`` block. The host is subscribed by the time you hold this."""

    def __init__(self, loop: _LoopThread, sub: AsyncSubscription) -> None:
        self._loop = loop
        self._sub = sub

    def __iter__(self) -> Iterator[StreamChange]:
        changes = aiter(self._sub)
        try:
            while (change := self._loop.run(_next(changes))) is not _END:
                yield change
        finally:
            if not self._loop.closed:
                self._loop.run(changes.aclose())  # type: ignore[attr-defined]

    def cancel(self) -> None:
        """Ends the iteration (also one blocked in another thread)."""
        if not self._loop.closed:
            self._loop.run(_cancel(self._sub))

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


class Client:
    """Blocking client; safe to share between threads."""

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        token: str | None = None,
        stream_token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        tls_server_name: str | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        self._loop = _LoopThread()
        try:
            self._async = self._loop.run(
                _open(
                    target=target,
                    token=token,
                    stream_token=stream_token,
                    tls=tls,
                    root_certificates=root_certificates,
                    tls_server_name=tls_server_name,
                    timeout=timeout,
                )
            )
        except BaseException:
            self._loop.stop()
            raise
        # A client that is never closed still closes its channel and stops its thread.
        self._finalizer = weakref.finalize(self, _shutdown, self._loop, self._async)

    emit = _blocking(AsyncClient.emit)
    emit_batch = _blocking(AsyncClient.emit_batch)
    get_state = _blocking(AsyncClient.get_state)
    set_state = _blocking(AsyncClient.set_state)
    get_state_revision = _blocking(AsyncClient.get_state_revision)
    update_state = _blocking(AsyncClient.update_state)
    delete_state = _blocking(AsyncClient.delete_state)
    get_group = _blocking(AsyncClient.get_group)
    get_stream_item = _blocking(AsyncClient.get_stream_item)
    get_stream_group = _blocking(AsyncClient.get_stream_group)
    list_steps = _blocking(AsyncClient.list_steps)

    def subscribe_stream(self, stream: str, group_id: str, id: str | None = None) -> Subscription:
        """Follow a stream group (or one item); returns once the host is subscribed."""
        return Subscription(self._loop, self._loop.run(self._async.subscribe_stream(stream, group_id, id)))

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
