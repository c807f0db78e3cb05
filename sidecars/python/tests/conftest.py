"""Fixtures for the Python sidecar's unit tests: a project written to a temp folder, and a
Channel that answers a context's calls from memory (no host needed)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Path]]:
    """write({"steps/a_step.py": source, ...}) -> the project root.

    The loader imports step files into this process; what it adds to sys.path and
    sys.modules is taken back afterwards so tests do not see each other's modules.
    """
    saved_path, saved_modules = list(sys.path), set(sys.modules)

    def write(files: dict[str, str]) -> Path:
        for rel, source in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
        return tmp_path

    yield write
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


class MemoryChannel:
    """Records every call a context makes; state lives in a dict."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.emitted: list[tuple[str, str, Any, str | None]] = []
        self.logs: list[tuple[str, str, str, dict[str, Any] | None]] = []
        self.data: dict[tuple[str, str], Any] = {}

    async def emit(self, invocation_id: str, topic: str, data: Any, message_group_id: str | None) -> None:
        self.emitted.append((invocation_id, topic, data, message_group_id))

    async def state(self, invocation_id: str, op: str, group: str, key: str = "", value: Any = None) -> Any:
        if op == "set":
            self.data[group, key] = value
            return value
        if op == "get":
            return self.data.get((group, key))
        raise NotImplementedError(op)

    async def stream(self, *args: Any) -> Any:
        raise NotImplementedError("streams")

    def log(self, invocation_id: str, level: str, message: str, fields: dict[str, Any] | None) -> None:
        self.logs.append((invocation_id, level, message, fields))


@pytest.fixture
async def channel() -> MemoryChannel:
    return MemoryChannel(asyncio.get_running_loop())
