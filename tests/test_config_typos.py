"""A typo in a step config is that file's load error in every language, naming the file, the
key and what was probably meant; the project's other steps keep serving."""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness import ROOT, eventually

PROJECT = ROOT / "tests" / "projects" / "config_typos"

EXPECTED = [
    "steps/methd_step.py: invalid config for step 'typos-methd': unknown key 'methd' (did you mean 'method'?)",
    "steps/path_type_step.py: invalid config for step 'typos-path': field 'path' must be a string, got 12",
    "steps/bodyschema.step.js: invalid config for step 'typos-bodyschema': "
    "unknown key 'bodyschema' (did you mean 'bodySchema'?); unknown key 'flow' (did you mean 'flows'?)",
    "steps/timout.step.rb: invalid config for step 'typos-timout': "
    "unknown key 'infrastructure.handler.timout' (did you mean 'timeout'?)",
]


def test_config_typos_are_load_errors_in_every_language(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=3)
    eventually(lambda: all(line in host.log() for line in EXPECTED), what="every typo reported")
    steps = host.steps()
    assert {"typos-ok-py", "typos-ok-js", "typos-ok-rb"} <= set(steps)
    assert not {"typos-methd", "typos-path", "typos-bodyschema", "typos-timout"} & set(steps)
    for lang in ("py", "js", "rb"):
        assert httpx.get(f"{host.url}/ok-{lang}").status_code == 200


def test_an_event_step_may_subscribe_to_nothing(start_host: Any) -> None:
    host = start_host(PROJECT, live_steps=4)
    step = host.steps()["typos-subscribes-nothing"]
    assert step["live"] and step["subscribes"] == []
