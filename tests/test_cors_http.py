"""CORS on the wire: preflights, refusals and the headers of every kind of response, against a
real host serving tests/projects/cors (the browser's view is tests/browser/)."""

from __future__ import annotations

from typing import Any

from tests.harness import ROOT

PROJECT = ROOT / "tests" / "projects" / "cors"
STEPS = 15
PAGE = "http://localhost:5173"
PARTNER = "https://partner.example"


def preflight(http: Any, path: str, method: str, origin: str = PAGE, headers: str = "") -> Any:
    extra = {"access-control-request-headers": headers} if headers else {}
    return http.options(path, headers={"origin": origin, "access-control-request-method": method, **extra})


def cors_headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def test_cors_is_off_by_default_options_stays_405(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=STEPS)
    with host.client() as http:
        r = preflight(http, "/py/echo", "POST", headers="content-type")
        assert r.status_code == 405 and cors_headers(r) == {}
        r = http.get("/py/hello", headers={"origin": PAGE})
        assert r.status_code == 200 and cors_headers(r) == {} and "vary" not in r.headers


def test_preflights_and_responses_when_cors_allows_an_origin(start_host: Any) -> None:
    host = start_host(
        PROJECT,
        live_steps=STEPS,
        env={"STEPHOST_CORS_ORIGINS": PAGE, "STEPHOST_CORS_EXPOSE_HEADERS": "x-trace-id,x-step"},
    )
    with host.client() as http:
        r = preflight(http, "/py/echo", "POST", headers="content-type, x-custom")
        assert r.status_code == 204 and r.content == b""
        assert cors_headers(r) == {
            "access-control-allow-origin": PAGE,
            "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
            "access-control-allow-headers": "content-type, x-custom",
            "access-control-max-age": "600",
        }
        assert r.headers["vary"] == "Origin"

        # Refusals: 403, a message naming what is refused, and no CORS headers.
        for (path, method, origin), reason in {
            ("/py/echo", "POST", "http://evil.test"): "origin 'http://evil.test' is not allowed",
            ("/py/echo", "PUT", PAGE): "no step serves PUT /py/echo",
            ("/closed", "GET", PAGE): "CORS is turned off for step 'cors-closed'",
            ("/partner", "GET", PAGE): f"origin {PAGE!r} is not allowed",
        }.items():
            r = preflight(http, path, method, origin)
            assert r.status_code == 403 and reason in r.json()["error"], (path, r.text)
            assert cors_headers(r) == {}

        r = http.post("/py/echo", json={"a": 1}, headers={"origin": PAGE})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == PAGE
        assert r.headers["access-control-expose-headers"] == "x-trace-id, x-step"
        assert r.headers["vary"] == "Origin" and "access-control-allow-credentials" not in r.headers

        # The host's own answers carry them too, so the page can read why a call failed.
        for path, status in (("/boom", 500), ("/nowhere", 404)):
            r = http.get(path, headers={"origin": PAGE})
            assert r.status_code == status and r.headers["access-control-allow-origin"] == PAGE, path
        r = http.delete("/py/hello", headers={"origin": PAGE})
        assert r.status_code == 405 and r.headers["access-control-allow-origin"] == PAGE
        with http.stream("GET", "/ticks", headers={"origin": PAGE}) as streamed:
            assert streamed.headers["access-control-allow-origin"] == PAGE
            assert streamed.read() == b"data: 1\n\ndata: 2\n\ndata: 3\n\n"

        # Origins the step or the project do not allow: no CORS headers, only Vary.
        r = http.get("/py/hello", headers={"origin": "http://evil.test"})
        assert r.status_code == 200 and cors_headers(r) == {} and r.headers["vary"] == "Origin"
        r = http.get("/closed", headers={"origin": PAGE})
        assert r.status_code == 200 and cors_headers(r) == {}
        r = http.get("/whoami", headers={"origin": PAGE})
        assert r.headers["access-control-allow-credentials"] == "true"
        # A same-origin request (no Origin header) is untouched.
        assert cors_headers(http.get("/py/hello")) == {}


def test_per_step_overrides_in_every_language(start_host: Any) -> None:
    """`cors: false` and an origins override, declared by a Python, a Node and a Ruby step."""
    host = start_host(PROJECT, live_steps=STEPS, env={"STEPHOST_CORS_ORIGINS": PAGE})
    with host.client() as http:
        for path, step in (
            ("/closed", "cors-closed"),
            ("/node/closed", "cors-node-closed"),
            ("/rb/closed", "cors-rb-closed"),
        ):
            r = preflight(http, path, "GET")
            assert r.status_code == 403, (path, r.text)
            assert f"CORS is turned off for step {step!r}" in r.json()["error"] and cors_headers(r) == {}
            r = http.get(path, headers={"origin": PAGE})
            assert r.status_code == 200 and cors_headers(r) == {}, path

        for path, method in (("/partner", "GET"), ("/node/partner", "POST"), ("/rb/partner", "POST")):
            # The project's origin is not the step's: refused, with no CORS headers.
            r = preflight(http, path, method, headers="content-type")
            assert r.status_code == 403 and f"origin {PAGE!r} is not allowed" in r.json()["error"], (
                path,
                r.text,
            )
            assert cors_headers(r) == {}
            # The step's own origin: allowed, with the project's other settings.
            r = preflight(http, path, method, origin=PARTNER, headers="content-type")
            assert r.status_code == 204, (path, r.text)
            assert cors_headers(r) == {
                "access-control-allow-origin": PARTNER,
                "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
                "access-control-allow-headers": "content-type",
                "access-control-max-age": "600",
            }, path
            assert r.headers["vary"] == "Origin"
            kwargs: dict[str, Any] = {"json": {"n": 1}} if method == "POST" else {}
            r = http.request(method, path, headers={"origin": PARTNER}, **kwargs)
            assert r.status_code == 200 and r.headers["access-control-allow-origin"] == PARTNER, (
                path,
                r.text,
            )
            assert r.headers["vary"] == "Origin"
            r = http.request(method, path, headers={"origin": PAGE}, **kwargs)
            assert r.status_code == 200 and cors_headers(r) == {} and r.headers["vary"] == "Origin", path
