"""The deploy API's HTTP client, shared by `stephost deploy` and `stephost deploys`.

Where the host is: ``--host URL`` or the runtime.json of a host running the project on this
machine; the token: ``--token``, STEPHOST_DEPLOY_TOKEN, then that host's secret. Exit codes
are the deploy command's: 0 completed, 1 failed, 2 cancelled, 3 unauthorised.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stephost_host.running import NoRunningHost, running_host

if TYPE_CHECKING:
    import httpx

COMPLETED, FAILED, CANCELLED, UNAUTHORISED = 0, 1, 2, 3
EXIT = {"completed": COMPLETED, "failed": FAILED, "cancelled": CANCELLED}
PREFIX = "/__stephost/deployments"


class ClientError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def exit_code(self) -> int:
        return UNAUTHORISED if self.status in (401, 403) else FAILED


def add_connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="the host's HTTP URL, e.g. http://10.0.0.5:3000 (default: the local host)")
    p.add_argument(
        "--token",
        default=os.environ.get("STEPHOST_DEPLOY_TOKEN"),
        help="a deploy token or the host's secret (default: STEPHOST_DEPLOY_TOKEN, then the local host's)",
    )
    p.add_argument(
        "--project", default=".", help="project whose local host to use without --host (default .)"
    )
    p.add_argument("--state-dir", type=Path, help="where that host keeps runtime.json")


class DeployClient:
    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        import httpx  # here: building the CLI's parser (add_connection_args) must stay quick

        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url, headers={"authorization": f"Bearer {token}"} if token else {}, timeout=timeout
        )

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DeployClient:
        url, token = args.host, args.token
        if not url or not token:
            try:
                info = running_host(args.project, args.state_dir, "--host URL --token TOKEN")
            except NoRunningHost as exc:
                if not url:
                    raise ClientError(0, str(exc)) from None
                info = {}
            url = url or str(info.get("http", ""))
            token = token or str(info.get("secret", ""))
        if not url.startswith(("http://", "https://")):
            url = f"http://{url}"
        return cls(url, token or "")

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            response = self.http.request(method, PREFIX + path, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(0, f"cannot reach the host at {self.url}: {exc}") from None
        if response.status_code >= 400:
            try:
                message = str(response.json().get("error", response.text))
            except ValueError:
                message = response.text
            raise ClientError(response.status_code, f"{response.status_code}: {message}")
        return response

    def create(self, **body: Any) -> dict[str, Any]:
        return dict(self._call("POST", "", json=body).json())

    def upload(self, ref: str, data: bytes) -> dict[str, Any]:
        headers = {"content-type": "application/gzip"}
        return dict(self._call("PUT", f"/{ref}/source", content=data, headers=headers).json())

    def start(self, ref: str, from_deployment: str = "") -> dict[str, Any]:
        body = {"fromDeployment": from_deployment} if from_deployment else {}
        return dict(self._call("POST", f"/{ref}/start", json=body).json())

    def get(self, ref: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/{ref}").json())

    def history(self, status: str = "") -> list[dict[str, Any]]:
        return list(self._call("GET", "", params={"status": status} if status else {}).json()["deployments"])

    def logs(self, ref: str) -> str:
        return self._call("GET", f"/{ref}/logs").text

    def act(self, ref: str, action: str) -> dict[str, Any]:
        """cancel, promote or rollback (ref "" for rollback: to the previous deployment)."""
        path = f"/{ref}/{action}" if ref else f"/{action}"
        return dict(self._call("POST", path).json())

    def watch(self, ref: str) -> Iterator[dict[str, Any]]:
        """{"type": "snapshot", "deployment"} / {"type": "log", "line"} until the deploy ends."""
        import httpx

        try:
            with self.http.stream("GET", f"{PREFIX}/{ref}/watch", timeout=httpx.Timeout(60, read=None)) as r:
                if r.status_code >= 400:
                    r.read()
                    raise ClientError(r.status_code, f"{r.status_code}: {r.text}")
                for line in r.iter_lines():
                    if line.strip():
                        yield json.loads(line)
        except httpx.HTTPError as exc:
            raise ClientError(0, f"lost the host at {self.url}: {exc}") from None
