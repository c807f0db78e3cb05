"""CORS proven with a real browser: a page on another origin fetch()es api steps of all three
languages through Debian's chromium (headless, driven by playwright-core from cors.mjs).

The page is served by a tiny static server on another port (another origin). The api is
reached as http://localhost:<port>, the page as http://localhost:<other port> (same site,
other origin: a cookie set for the api goes along with credentials: 'include') and as
http://127.0.0.1:<other port> (an origin the host does not allow).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.harness import ROOT

HERE = Path(__file__).resolve().parent
PROJECT = ROOT / "tests" / "projects" / "cors"
CHROMIUM = "/usr/bin/chromium"
STEPS = 15  # tests/projects/cors: every step file

JSON_POST = {"headers": {"content-type": "application/json", "x-custom": "from-the-page"}, "body": {"n": 1}}
# Every case the page runs; GETs need no preflight, the POSTs (JSON + a custom header) do.
CASES: list[dict[str, Any]] = [
    {"name": "py-get", "path": "/py/hello"},
    {"name": "py-post", "path": "/py/echo", "method": "POST", **JSON_POST},
    {"name": "node-get", "path": "/node/hello"},
    {"name": "node-post", "path": "/node/echo", "method": "POST", **JSON_POST},
    {"name": "rb-get", "path": "/rb/hello"},
    {"name": "rb-post", "path": "/rb/echo", "method": "POST", **JSON_POST},
    {"name": "closed", "path": "/closed"},  # cors: false on the step
    {"name": "partner", "path": "/partner"},  # the step allows another origin only
    {"name": "whoami-credentials", "path": "/whoami", "credentials": "include"},  # step allows them
    {"name": "hello-credentials", "path": "/py/hello", "credentials": "include"},  # project does not
    {"name": "boom", "path": "/boom"},  # the host's 500
    {"name": "ticks", "path": "/ticks"},  # a streamed response
]
COOKIE = {"name": "session", "value": "s3cret"}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def page_port() -> Iterator[int]:
    """The test page, served from a port of its own: another origin than the host's."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HERE / "page")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def run_browser(tmp_path: Path, api: str, pages: list[str], screenshot: Path | None = None) -> dict[str, Any]:
    if not Path(CHROMIUM).exists() or shutil.which("node") is None:
        pytest.fail("the browser tests need Debian's chromium and node: run `make install`")
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed in tests/browser: run `make install`")
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    args = {
        "api": api,
        "pages": pages,
        "cases": CASES,
        "userDataDir": str(profile),
        "cookie": COOKIE,
        "screenshot": str(screenshot) if screenshot else None,
    }
    done = subprocess.run(
        ["node", "cors.mjs", json.dumps(args)], cwd=HERE, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, f"cors.mjs failed:\n{done.stderr}"
    return dict(json.loads(done.stdout))


def api_url(host: Any) -> str:
    return f"http://localhost:{urlsplit(host.url).port}"


def blocked(result: dict[str, Any]) -> bool:
    """What fetch() does when the browser withholds a cross-origin response: reject, TypeError."""
    return not result["ok"] and result["error"].startswith("TypeError")


def test_without_cors_settings_the_browser_blocks_every_cross_origin_call(
    start_host: Any, page_port: int, tmp_path: Path
) -> None:
    host = start_host(PROJECT, live_steps=STEPS)
    page = f"http://localhost:{page_port}/index.html"
    out = run_browser(tmp_path, api_url(host), [page])
    results = out["pages"][page]
    assert {name for name, r in results.items() if not blocked(r)} == set(), (results, out["console"])
    # ... yet the steps ran: CORS governs what a page may read, not what the server does.
    assert host.log_lines("GET /py/hello -> 200")


def test_an_allowed_origin_reads_every_language_and_the_step_overrides_hold(
    start_host: Any, page_port: int, tmp_path: Path
) -> None:
    page = f"http://localhost:{page_port}/index.html"
    other = f"http://127.0.0.1:{page_port}/index.html"
    host = start_host(
        PROJECT,
        live_steps=STEPS,
        env={"STEPHOST_CORS_ORIGINS": f"http://localhost:{page_port}", "STEPHOST_CORS_MAX_AGE": "0"},
    )
    screenshot = tmp_path / "cors-page.png"
    out = run_browser(tmp_path, api_url(host), [page, other], screenshot)
    results, console = out["pages"][page], out["console"]

    for lang in ("py", "node", "rb"):
        expected = {"py": "python", "node": "node", "rb": "ruby"}[lang]
        get, post = results[f"{lang}-get"], results[f"{lang}-post"]
        assert get["ok"] and get["status"] == 200 and get["body"]["lang"] == expected, (get, console)
        assert post["ok"] and post["status"] == 200, (post, console)
        assert post["body"] == {"lang": expected, "body": {"n": 1}, "custom": "from-the-page"}

    assert blocked(results["closed"]) and blocked(results["partner"]), (results, console)
    whoami = results["whoami-credentials"]
    assert whoami["ok"] and whoami["body"] == {"cookie": "session=s3cret"}, (whoami, console)
    assert blocked(results["hello-credentials"]), results["hello-credentials"]
    assert results["boom"]["ok"] and results["boom"]["status"] == 500, results["boom"]
    assert results["boom"]["body"]["error"] == "Internal Server Error"
    assert results["ticks"]["ok"] and results["ticks"]["body"] == "data: 1\n\ndata: 2\n\ndata: 3\n\n"
    assert results["ticks"]["contentType"] == "text/event-stream"

    # The same page from an origin the host does not list reads nothing.
    elsewhere = out["pages"][other]
    assert {name for name, r in elsewhere.items() if not blocked(r)} == set(), elsewhere
    # Chromium says why: the preflight of a refused origin got no Access-Control-Allow-Origin.
    assert any("blocked by CORS policy" in line for line in console), console
    assert screenshot.stat().st_size > 0
