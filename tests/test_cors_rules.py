"""The CORS rule (http/cors.py) and its settings, in process."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stephost_host.config import ConfigError, Settings, load_settings
from stephost_host.http import cors
from stephost_host.http.cors import Allowed, CorsPolicy, CorsTable, Refusal
from stephost_host.steps.models import ConfigInvalid, parse_config

PAGE = "http://localhost:5173"


def policy(**kw: Any) -> CorsPolicy:
    return CorsPolicy(origins=(PAGE,), **kw)


# -- settings -----------------------------------------------------------------------


def test_cors_is_off_unless_origins_are_set(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert not settings.cors_policy().enabled
    assert not CorsTable(settings.cors_policy()).enabled
    assert cors.OFF.response_headers(PAGE) == []


def test_settings_from_the_cors_table_and_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "stephost.toml").write_text(
        '[cors]\norigins = ["HTTPS://App.Example.com:443", "http://localhost:5173"]\n'
        'methods = ["get", "post"]\nheaders = ["X-Api-Key"]\nexpose_headers = ["X-Trace-Id"]\n'
        "credentials = true\nmax_age = 60\n"
    )
    s = load_settings(tmp_path, environ={})
    assert s.cors_origins == ("https://app.example.com", PAGE)  # as browsers send them
    assert (s.cors_methods, s.cors_headers, s.cors_expose_headers) == (
        ("GET", "POST"),
        ("x-api-key",),
        ("x-trace-id",),
    )
    assert s.cors_credentials and s.cors_max_age == 60
    env = {"STEPHOST_CORS_ORIGINS": "http://a.test, http://b.test:8080", "STEPHOST_CORS_CREDENTIALS": "false"}
    s = load_settings(tmp_path, environ=env)
    assert s.cors_origins == ("http://a.test", "http://b.test:8080") and not s.cors_credentials
    assert s.cors_methods == ("GET", "POST")  # the file's, where the environment says nothing


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"STEPHOST_CORS_ORIGINS": "https://app.example.com/"},
            r"'cors_origins' \(from environment\) = 'https://app.example.com/'.*no path",
        ),
        ({"STEPHOST_CORS_ORIGINS": "null"}, r"'cors_origins'.*'null' origin"),
        ({"STEPHOST_CORS_ORIGINS": "*,http://a.test"}, r"'cors_origins'.*give it alone"),
        ({"STEPHOST_CORS_ORIGINS": "app.example.com"}, r"'cors_origins'.*expected scheme://host\[:port\]"),
        (
            {"STEPHOST_CORS_ORIGINS": "*", "STEPHOST_CORS_CREDENTIALS": "true"},
            r"'cors_credentials' \(from environment\) = True.*list the origins",
        ),
        ({"STEPHOST_CORS_METHODS": "GET,P OST"}, r"'cors_methods'.*'P OST' is not an HTTP method"),
        ({"STEPHOST_CORS_EXPOSE_HEADERS": "*"}, r"'cors_expose_headers'.*'\*' is not an HTTP header name"),
        ({"STEPHOST_CORS_MAX_AGE": "-1"}, r"'cors_max_age' \(from environment\) = '-1'"),
    ],
)
def test_bad_cors_settings_name_the_key_and_the_value(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, environ=environ)


def test_stephost_toml_errors_name_the_cors_table_key(tmp_path: Path) -> None:
    (tmp_path / "stephost.toml").write_text('[cors]\norigins = ["*"]\ncredentials = true\n')
    with pytest.raises(ConfigError, match=r"'cors_credentials' \(from stephost.toml \[cors\] credentials\)"):
        load_settings(tmp_path, environ={})
    (tmp_path / "stephost.toml").write_text('[cors]\norigin = ["http://a.test"]\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \[cors\] origin"):
        load_settings(tmp_path, environ={})


# -- the policy ---------------------------------------------------------------------


def test_an_allowed_origin_gets_itself_back_and_vary_origin() -> None:
    assert policy().response_headers(PAGE) == [
        ("access-control-allow-origin", PAGE),
        ("vary", "Origin"),
    ]
    assert policy(credentials=True, expose_headers=("x-trace-id",)).response_headers(PAGE) == [
        ("access-control-allow-origin", PAGE),
        ("vary", "Origin"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "x-trace-id"),
    ]


def test_the_wildcard_is_sent_only_for_any_origin_without_credentials() -> None:
    assert CorsPolicy(origins=("*",)).response_headers(PAGE) == [("access-control-allow-origin", "*")]
    with pytest.raises(ValueError, match="credentials cannot be allowed for every origin"):
        CorsPolicy(origins=("*",), credentials=True)


def test_an_origin_not_listed_gets_no_cors_headers() -> None:
    assert policy().response_headers("http://evil.test") == [("vary", "Origin")]
    assert not policy().allows("http://localhost:5174") and not policy().allows("null")


def test_preflight_refusals_name_the_origin_the_method_or_the_header() -> None:
    p = policy(methods=("GET", "POST"), headers=("x-api-key",))
    assert p.refusal(PAGE, "POST", ["content-type", "x-api-key"]) is None  # content-type is safelisted
    assert "origin 'http://evil.test' is not allowed" in str(p.refusal("http://evil.test", "GET", []))
    assert "method DELETE is not allowed" in str(p.refusal(PAGE, "DELETE", []))
    assert "request header(s) x-other not allowed" in str(p.refusal(PAGE, "GET", ["x-other"]))


def test_preflight_headers_echo_what_the_page_asked_for_when_any_header_is_allowed() -> None:
    headers = dict(policy(max_age=30).preflight_headers(PAGE, ["content-type", "x-custom"]))
    assert headers == {
        "access-control-allow-origin": PAGE,
        "vary": "Origin",
        "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": "content-type, x-custom",
        "access-control-max-age": "30",
    }


# -- per step -----------------------------------------------------------------------


@dataclass
class Entry:
    name: str
    config: Any


def step(name: str, **extra: Any) -> Entry:
    cfg = {"name": name, "type": "api", "path": f"/{name}", **extra}
    return Entry(name, parse_config(json.dumps(cfg), f"{name}_step.py"))


def test_a_step_override_replaces_the_project_keys_it_sets() -> None:
    table = CorsTable.build(
        policy(max_age=30),
        [
            step("plain"),
            step("partner", cors={"origins": ["https://partner.test"], "exposeHeaders": ["x-id"]}),
            step("flagged", cors=True),
        ],
    )
    assert table.policy("plain") == policy(max_age=30) == table.policy("flagged")
    partner = table.policy("partner")
    assert partner.origins == ("https://partner.test",) and partner.expose_headers == ("x-id",)
    assert partner.max_age == 30  # not set by the step: the project's


def test_cors_false_turns_a_step_off_with_a_clear_refusal() -> None:
    table = CorsTable.build(policy(), [step("closed", cors=False)])
    answer = table.preflight("closed", PAGE, "GET", "/closed", [])
    assert isinstance(answer, Refusal) and "turned off for step 'closed'" in answer.message
    assert table.policy("closed").response_headers(PAGE) == []


def test_a_step_can_turn_cors_on_while_the_project_has_it_off() -> None:
    table = CorsTable.build(cors.OFF, [step("open", cors={"origins": [PAGE]}), step("other")])
    assert table.enabled
    assert isinstance(table.preflight("open", PAGE, "GET", "/open", []), Allowed)
    assert table.preflight("other", PAGE, "GET", "/other", []) is None  # an OPTIONS like any other
    assert table.preflight(None, PAGE, "GET", "/nowhere", []) is None


def test_a_preflight_for_a_method_no_step_serves_is_refused_when_cors_is_on() -> None:
    answer = CorsTable(policy()).preflight(None, PAGE, "PUT", "/things", [])
    assert isinstance(answer, Refusal) and "no step serves PUT /things" in answer.message


def test_an_override_that_cannot_stand_with_the_project_shuts_that_step() -> None:
    problems: list[str] = []
    table = CorsTable.build(policy(credentials=True), [step("wild", cors={"origins": ["*"]})], problems)
    assert not table.policy("wild").enabled
    assert problems and "step 'wild'" in problems[0] and "credentials" in problems[0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"orgins": ["http://a.test"]}, r"unknown key 'cors.orgins' \(did you mean 'origins'\?\)"),
        ({"origins": ["http://a.test/app"]}, r"field 'cors.origins'.*not an origin"),
        ({"origins": ["*"], "credentials": True}, r"field 'cors'.*credentials cannot be allowed"),
        ("yes", r"field 'cors' = \"yes\".*expected false"),
        ({"maxAge": -5}, r"field 'cors.maxAge'"),
    ],
)
def test_bad_step_cors_configs_name_the_field(value: Any, message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message):
        step("bad", cors=value)


def test_step_cors_keys_accept_python_spellings_and_a_comma_string() -> None:
    cfg = step("s", cors={"origins": "http://a.test, http://b.test", "expose_headers": ["X-A"], "max_age": 5})
    assert cfg.config.cors.origins == ("http://a.test", "http://b.test")
    assert (cfg.config.cors.expose_headers, cfg.config.cors.max_age) == (("x-a",), 5)


# -- the ASGI side --------------------------------------------------------------------


def test_a_preflight_is_read_from_the_request_headers() -> None:
    scope = {
        "method": "OPTIONS",
        "headers": [
            (b"origin", PAGE.encode()),
            (b"access-control-request-method", b"post"),
            (b"access-control-request-headers", b"Content-Type, X-Custom"),
        ],
    }
    request = cors.read_request(scope)
    assert request == cors.CorsRequest(PAGE, "POST", ["content-type", "x-custom"])
    assert cors.read_request({**scope, "method": "POST"}) == cors.CorsRequest(
        PAGE, None, ["content-type", "x-custom"]
    )
    assert cors.read_request({"method": "GET", "headers": []}) is None


def test_preflight_replies_are_204_or_a_403_without_cors_headers() -> None:
    start, body = cors.preflight_reply(Allowed([("access-control-allow-origin", PAGE)]))
    assert (start["status"], body) == (204, b"")
    start, body = cors.preflight_reply(Refusal("origin 'x' is not allowed"))
    assert start["status"] == 403 and json.loads(body) == {"error": "origin 'x' is not allowed"}
    assert not any(k.startswith(b"access-control-") for k, _ in start["headers"])


def test_the_policy_replaces_a_handlers_cors_headers_and_keeps_its_vary() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    wrapped = cors.with_headers(send, policy(), PAGE)
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", b"text/plain"),
            (b"access-control-allow-origin", b"*"),
            (b"vary", b"Accept-Encoding"),
        ],
    }
    asyncio.run(wrapped(start))
    asyncio.run(wrapped({"type": "http.response.body", "body": b"x"}))
    assert sent[0]["headers"] == [
        (b"content-type", b"text/plain"),
        (b"access-control-allow-origin", PAGE.encode()),
        (b"vary", b"Accept-Encoding, Origin"),
    ]
    assert sent[1] == {"type": "http.response.body", "body": b"x"}
    assert cors.with_headers(send, cors.OFF, PAGE) is send  # off: nothing touched, nothing paid


def test_the_settings_object_builds_the_project_policy() -> None:
    s = Settings(cors_origins=(PAGE,), cors_max_age=5)
    assert s.cors_policy() == policy(max_age=5)
