"""Bad input handled by pure code: log formatting, settings, step configs."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess

import pytest

from stephost_host.config import ConfigError, load_settings
from stephost_host.logs import JsonFormatter, TextFormatter
from stephost_host.steps.models import ConfigInvalid, parse_config
from stephost_host.supervisor.languages import languages
from tests.harness import STEPHOST

# -- logs -------------------------------------------------------------------------------


def _record(msg: str, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("stephost.step", logging.INFO, __file__, 1, msg, None, None)
    rec.__dict__.update(extra)
    return rec


SPOOF = {"level": "hacked", "step": "NotMe", "trace_id": "fake", "logger": "x", "fields": 1, "ok": 2}


def test_json_log_keeps_host_keys_and_nests_clashing_fields() -> None:
    doc = json.loads(JsonFormatter().format(_record("m", step="real", trace_id="t1", fields=SPOOF)))
    assert (doc["level"], doc["step"], doc["trace_id"], doc["logger"]) == (
        "info",
        "real",
        "t1",
        "stephost.step",
    )
    assert doc["ok"] == 2
    assert doc["fields"] == {k: v for k, v in SPOOF.items() if k != "ok"}
    # A host line without step or trace is not given one by its fields either.
    doc = json.loads(JsonFormatter().format(_record("m", fields={"step": "NotMe"})))
    assert "step" not in doc and doc["fields"] == {"step": "NotMe"}


def test_json_log_time_is_rfc3339_utc_with_milliseconds() -> None:
    rec = _record("m")
    rec.created = 1796012412.1234
    assert json.loads(JsonFormatter().format(rec))["time"] == "2026-11-30T04:20:12.123Z"


def test_text_log_fields_cannot_fake_the_step_and_trace_brackets() -> None:
    line = TextFormatter(color=False).format(_record("m", step="real", trace_id="t1", fields=SPOOF))
    assert " [real] [t1] m " in line and "[NotMe]" not in line and "[fake]" not in line
    assert 'step="NotMe"' in line and 'trace_id="fake"' in line
    line = TextFormatter(color=False).format(_record("m", fields={"a] [b\nc": 1}))
    assert "\n" not in line


def test_text_log_message_cannot_start_a_line_of_its_own() -> None:
    msg = "ok\n12:00:00.000 INFO  [admin] [t0] forged\r\nagain"
    lines = TextFormatter(color=False).format(_record(msg, step="real", trace_id="t1")).splitlines()
    assert len(lines) == 3 and all(x.startswith("  ") for x in lines[1:])


# -- settings and configs -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["python;node", "python node", "java", "python,cobol"])
def test_languages_in_the_wrong_format_say_the_expected_format(value: str, tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="expected comma-separated: python,node,ruby"):
        load_settings(str(tmp_path), environ={"STEPHOST_LANGUAGES": value})


def test_languages_parse() -> None:
    assert load_settings(".", environ={"STEPHOST_LANGUAGES": " python, ruby ,"}).languages == (
        "python",
        "ruby",
    )
    assert load_settings(".", environ={"STEPHOST_LANGUAGES": ""}).languages == ()
    # The message names every language the supervisor can start.
    with pytest.raises(ConfigError, match="expected comma-separated: " + ",".join(languages())):
        load_settings(".", environ={"STEPHOST_LANGUAGES": "cobol"})


def test_a_host_with_bad_languages_fails_at_start(tmp_path: object) -> None:
    out = subprocess.run(
        [*STEPHOST, "start", str(tmp_path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "STEPHOST_LANGUAGES": "python;node"},
    )
    assert out.returncode == 2
    assert "'python;node'" in out.stderr and "expected comma-separated: python,node,ruby" in out.stderr


@pytest.mark.parametrize("expr", ["0 0 30 2 *", "0 0 31 4 *", "0 0 0 30 2 *"])
def test_a_cron_that_never_fires_is_refused(expr: str) -> None:
    with pytest.raises(
        ConfigInvalid,
        match=re.escape(f"steps/x_step.py: invalid config for step 'x': field 'cron' = \"{expr}\"")
        + ".*never fires",
    ):
        parse_config(json.dumps({"name": "x", "type": "cron", "cron": expr}), "steps/x_step.py")
    # Rare is not never: February 29 comes every four years.
    assert parse_config(json.dumps({"name": "x", "type": "cron", "cron": "0 0 29 2 *"}), "f").type == "cron"
