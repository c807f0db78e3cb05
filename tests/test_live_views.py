"""http/admin/live.py: a live view (an open page's log tail or group list) lets go of what its
source holds (a NATS subscription, a stream watch) when the page goes away or the host stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stephost_host.http.admin.live import until


async def _view(stop: str) -> tuple[list[int], bool]:
    released: list[bool] = []
    got: list[int] = []

    async def source() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.Event().wait()  # nothing more comes: the view waits
            yield 2
        finally:
            released.append(True)

    closing = asyncio.Event()
    arrived = asyncio.Event()

    async def read() -> None:
        async for item in until(closing, source()):
            got.append(item)
            arrived.set()

    reading = asyncio.create_task(read())
    await asyncio.wait_for(arrived.wait(), 10)
    if stop == "host stops":
        closing.set()
        await asyncio.wait_for(reading, 10)
    else:  # the page went away: the response's task is cancelled
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
    return got, released == [True]


@pytest.mark.parametrize("stop", ["host stops", "page goes away"])
def test_a_live_view_releases_its_source(stop: str) -> None:
    got, released = asyncio.run(_view(stop))
    assert got == [1] and released
