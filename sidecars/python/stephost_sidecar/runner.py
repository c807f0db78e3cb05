"""Runs one invocation: middleware chain, async or plain handlers, typed errors."""

from __future__ import annotations

import asyncio
import functools
import inspect
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from stephost.context import Context
from stephost.errors import NonRetryableError, RetryableError
from stephost_sidecar.loader import LoadedStep


@dataclass
class Failure:
    type: str
    message: str
    stack: str
    retryable: bool
    retry_after: float


class Runner:
    def __init__(self, capacity: int) -> None:
        # Plain `def` handlers run here, off the event loop, one thread per slot.
        self._threads = ThreadPoolExecutor(max_workers=max(1, capacity), thread_name_prefix="step")

    async def run(self, step: LoadedStep, payload: Any, ctx: Context) -> Any:
        if step.type == "api":
            return normalise_response(await self._api(step, payload, ctx))
        if step.type == "cron":
            return await self._call(step.handler, ctx)
        return await self._call(step.handler, payload, ctx)

    async def _api(self, step: LoadedStep, req: Any, ctx: Context) -> Any:
        async def chain(index: int) -> Any:
            if index == len(step.middleware):
                return await self._call(step.handler, req, ctx)
            return await self._call(step.middleware[index], req, ctx, functools.partial(chain, index + 1))

        return await chain(0)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Any user function, async or plain (plain ones on a worker thread)."""
        return await self._call(fn, *args)

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if inspect.iscoroutinefunction(fn):
            result = await fn(*args)
        else:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self._threads, functools.partial(fn, *args))
        # A plain middleware that returns `next_fn()` hands back a coroutine.
        while inspect.isawaitable(result):
            result = await result
        return result

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


def normalise_response(value: Any) -> dict[str, Any]:
    """Any return value -> {status, body, headers}; the same rule in every language.

    A dict with any of status/body/headers is a response (status defaults to 200);
    anything else is the body of a 200.
    """
    if not (isinstance(value, dict) and ({"status", "body", "headers"} & value.keys())):
        return {"status": 200, "body": value, "headers": {}}
    status = value.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"response status must be an int from 100 to 599, got {status!r}")
    headers = value.get("headers") or {}
    return {
        "status": status,
        "body": value.get("body"),
        "headers": {str(k): str(v) for k, v in headers.items()},
    }


_OWN_FILES = (__file__.rsplit("/", 1)[0] + "/",)


def _user_stack(exc: BaseException) -> str:
    """The traceback without the sidecar's own frames: the user's code is what matters."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_OWN_FILES)]
    return (
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_list(frames))
        + "".join(traceback.format_exception_only(exc))
    )


def failure_of(exc: BaseException) -> Failure:
    retry_after = exc.retry_after if isinstance(exc, RetryableError) and exc.retry_after else 0.0
    return Failure(
        type=type(exc).__name__,
        message=str(exc),
        stack=_user_stack(exc),
        retryable=not isinstance(exc, NonRetryableError),
        retry_after=float(retry_after),
    )
