"""Shared by the switch tests (split in two files so CI's workers share the wall time): a
bounded load against every host, a watcher of the deployment records, and what a host serves."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from tests.deployments.conftest import Fleet, get
from tests.harness import HostProcess


class Load:
    """Threads calling /hello (fast) and /slow?s=2 on every host until stopped."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.results: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(path, i), daemon=True)
            for i, path in enumerate(["/hello", "/hello", "/hello", "/slow?s=2"])
        ]

    def _run(self, path: str, n: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = n
            while not self.stopping.is_set():
                url = self.urls[i % len(self.urls)] + path
                i += 1
                started = time.monotonic()
                try:
                    r = client.get(url)
                except httpx.HTTPError as exc:
                    self.errors.append(f"{url}: {exc!r}")
                    continue
                body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                self.results.append(
                    {
                        "url": url,
                        "status": r.status_code,
                        "header": r.headers.get("x-stephost-version"),
                        "served": body.get("version"),
                        "seconds": time.monotonic() - started,
                        "body": body,
                    }
                )
                time.sleep(0.02)  # bounded: about 150 calls a second in all

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(90)


def serves(host: HostProcess, version: str) -> bool:
    return bool(get(host, "/hello").json()["version"] == version)


def pointer(fleet: Fleet) -> str:
    records = fleet.api().get("/deployments").json()["deployments"]
    return next(r["versionId"] for r in records if r["isActive"])


class ActiveWatch:
    """Polls the deployment list while switches happen: every snapshot must show exactly one
    active deployment (never none, never two, whatever moment it is read at)."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.snapshots = 0
        self.wrong: list[list[int]] = []  # the active numbers of each snapshot that had 0 or 2+
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.fleet.api() as api:
            while not self.stopping.is_set():
                records = api.get("/deployments").json()["deployments"]
                active = [r["number"] for r in records if r["isActive"]]
                self.snapshots += 1
                if len(active) != 1:
                    self.wrong.append(active)
                time.sleep(0.2)  # each read lists every record: more often would load the host

    def __enter__(self) -> ActiveWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(60)
