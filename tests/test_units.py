"""Small pure pieces: name encoding, routing, backoff, settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stephost_host import names
from stephost_host.config import ConfigError, load_settings
from stephost_host.http.app import multi_dict
from stephost_host.queue.backoff import retry_delay
from stephost_host.router.routes import Route, RouteTable

KV_KEY = re.compile(r"[-/_=.a-zA-Z0-9]+")


@given(st.text(), st.text())
def test_any_group_and_key_make_a_valid_reversible_kv_key(group: str, key: str) -> None:
    encoded = names.state_key(group, key)
    assert KV_KEY.fullmatch(encoded)
    g, k = encoded.split(".")
    assert (names.untoken(g), names.untoken(k)) == (group, key)


@given(st.text(min_size=1))
def test_any_topic_makes_a_subject_without_wildcards_or_spaces(topic: str) -> None:
    subject = names.topic_subject(topic)
    assert not re.search(r"[\s*>]", subject) and ".." not in subject and not subject.endswith(".")


def test_readable_names_stay_readable() -> None:
    assert names.topic_subject("order.created") == "stephost.events.order.created"
    assert names.state_key("orders", "abc-1") == "orders.abc-1"
    assert names.consumer_name("t", "a step") != names.consumer_name("t", "a_step")


def _table(*routes: tuple[str, str]) -> RouteTable:
    table = RouteTable()
    for i, (method, path) in enumerate(routes):
        table.add(Route(method, path, f"s{i}", tuple(p for p in path.split("/") if p)))
    for rs in table.dynamic.values():
        rs.sort(key=lambda r: r.specificity, reverse=True)
    return table


def test_routes_match_params_and_prefer_static_segments() -> None:
    table = _table(("GET", "/users/:id"), ("GET", "/users/me"), ("POST", "/users/:id/posts/:post"))
    assert table.match("GET", "/users/me")[0].step == "s1"  # type: ignore[index]
    route, params = table.match("GET", "/users/42")  # type: ignore[misc]
    assert route.step == "s0" and params == {"id": "42"}
    assert table.match("POST", "/users/1/posts/9")[1] == {"id": "1", "post": "9"}  # type: ignore[index]
    assert table.match("DELETE", "/users/1") is None
    assert table.methods_for("/users/1") == {"GET"}
    assert table.match("GET", "/users/1/") is not None  # a trailing slash is the same path


def test_repeated_names_become_lists() -> None:
    assert multi_dict([("a", "1"), ("b", "2"), ("a", "3"), ("a", "4")]) == {"a": ["1", "3", "4"], "b": "2"}


def test_backoff_grows_and_respects_requests() -> None:
    delays = [retry_delay(n, 1.0, 60.0) for n in (1, 2, 3, 4)]
    assert 0.8 <= delays[0] <= 1.2 and 6.4 <= delays[3] <= 9.6
    assert retry_delay(10, 1.0, 60.0) <= 72.0
    assert retry_delay(1, 1.0, 60.0, requested=5.0) == 5.0


def test_settings_layers_and_errors(tmp_path: Path) -> None:
    (tmp_path / "stephost.toml").write_text('port = 4000\nlog_format = "json"\n')
    s = load_settings(tmp_path, environ={"STEPHOST_PORT": "4100"}, log_format=None)
    assert (s.port, s.log_format) == (4100, "json")
    assert load_settings(tmp_path, environ={}, port=4200).port == 4200
    with pytest.raises(ConfigError, match=r"'log_format' \(from command line\) = 'xml'"):
        load_settings(tmp_path, environ={}, log_format="xml")
    (tmp_path / "stephost.toml").write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_settings(tmp_path, environ={})


def test_visibility_timeout_must_exceed_the_handler_timeout() -> None:
    from stephost_host.steps.models import ConfigInvalid, EventStep, parse_config

    bad = '{"name": "e", "type": "event", "subscribes": ["t"], "infrastructure": {"handler": {"timeout": 30}, "queue": {"visibilityTimeout": 10}}}'
    with pytest.raises(
        ConfigInvalid, match=r"visibilityTimeout \(10s\) must be greater than .*timeout \(30s\)"
    ):
        parse_config(bad, "steps/e_step.py")
    ok = parse_config('{"name": "e", "type": "event", "subscribes": ["t"]}', "f")
    assert isinstance(ok, EventStep) and ok.visibility_timeout == 60.0
