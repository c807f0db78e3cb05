"""The watchdog names the step whose async handler blocks the handlers' event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stephost_sidecar.loader import load_project
from stephost_sidecar.watchdog import Watchdog, threshold_from_env

BLOCKER = """
    import time

    config = {"name": "blocker", "type": "event", "subscribes": ["t"]}

    async def handler(input, ctx):
        time.sleep(1.0)
"""


async def test_a_blocking_async_handler_is_named_with_its_file_and_line(
    project: Callable[[dict[str, str]], Path], caplog: pytest.LogCaptureFixture
) -> None:
    root = project({"steps/blocker_step.py": BLOCKER})
    step = load_project(root).steps[0]
    running = {"inv-1": ("blocker", time.monotonic())}
    dog = Watchdog({str(root / step.file): (step.name, step.file)}, lambda: running, threshold=0.3)
    caplog.set_level(logging.WARNING, "stephost.sidecar")
    recovered = threading.Event()  # set from the watchdog's thread by its last line

    class Recovered(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "ran again" in record.getMessage():
                recovered.set()

    logger = logging.getLogger("stephost.sidecar")
    logger.addHandler(spy := Recovered())
    dog.start()
    try:
        await asyncio.sleep(0.1)  # let the ticker run once
        await step.handler(None, None)
        await asyncio.to_thread(recovered.wait, 5)
    finally:
        dog.stop()
        logger.removeHandler(spy)
    # (A loaded machine may also stall the loop elsewhere; the handler's block must be named.)
    blocked = [m for r in caplog.records if "by step 'blocker'" in (m := r.getMessage())]
    named = [m for m in blocked if "by step 'blocker' (steps/blocker_step.py:7 in handler)" in m]
    assert named, caplog.text
    assert "in flight: blocker (inv-1," in named[0]
    assert "ran again after being blocked for" in caplog.text


def test_the_threshold_setting_takes_milliseconds_and_falls_back_on_a_bad_value() -> None:
    assert threshold_from_env({}) == 1.0
    assert threshold_from_env({"STEPHOST_BLOCK_WARN_MS": "250"}) == 0.25
    assert threshold_from_env({"STEPHOST_BLOCK_WARN_MS": "0"}) == 0
    assert threshold_from_env({"STEPHOST_BLOCK_WARN_MS": "soon"}) == 1.0
