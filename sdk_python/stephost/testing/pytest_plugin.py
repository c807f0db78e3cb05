"""pytest plugin (entry point ``pytest11``): the ``stephost_tester`` fixture.

One host per test module on the project at $STEPHOST_PROJECT, or else pytest's rootdir.
The fixture is synchronous (the tester is bound to no event loop), so it works in any
asyncio mode; its methods are coroutines: ``await stephost_tester.post(...)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from stephost.testing.tester import Tester


@pytest.fixture(scope="module")
def stephost_tester(request: pytest.FixtureRequest) -> Iterator[Tester]:
    project = os.environ.get("STEPHOST_PROJECT") or str(request.config.rootpath)
    tester = Tester(project).start_sync()
    try:
        yield tester
    finally:
        tester.close_sync()
