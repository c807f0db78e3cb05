from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime

import pytest

from stephost_sidecar import log as sidecar_log
from stephost_sidecar.log import BadSetting, JsonFormatter, TextFormatter, settings_from_env


def record(level: int, msg: str, fields: dict[str, object] | None = None) -> logging.LogRecord:
    rec = logging.LogRecord("stephost.sidecar", level, __file__, 1, msg, None, None)
    if fields is not None:
        rec.fields = fields
    return rec


def test_defaults_are_info_and_text() -> None:
    s = settings_from_env({})
    assert (s.level, s.format, s.warnings) == ("info", "text", [])


def test_the_common_variables() -> None:
    s = settings_from_env({"STEPHOST_LOG_LEVEL": "DEBUG", "STEPHOST_LOG_FORMAT": "json"})
    assert (s.level, s.format, s.warnings) == ("debug", "json", [])


def test_the_old_variable_still_works_with_a_deprecation_warning() -> None:
    s = settings_from_env({"STEPHOST_SIDECAR_LOG_LEVEL": "WARNING"})
    assert s.level == "warn"
    assert s.warnings == ["STEPHOST_SIDECAR_LOG_LEVEL is deprecated; use STEPHOST_LOG_LEVEL"]
    s = settings_from_env({"STEPHOST_SIDECAR_LOG_LEVEL": "debug", "STEPHOST_LOG_LEVEL": "error"})
    assert (s.level, s.warnings) == ("error", [])


def test_bad_values_are_refused_naming_the_variable_and_value() -> None:
    # The same rule as the Node and Ruby sidecars: a bad setting stops the sidecar (exit 2).
    with pytest.raises(BadSetting, match="STEPHOST_LOG_LEVEL='loud' is not one of"):
        settings_from_env({"STEPHOST_LOG_LEVEL": "loud"})
    with pytest.raises(BadSetting, match="STEPHOST_LOG_FORMAT='xml' is not one of text, json"):
        settings_from_env({"STEPHOST_LOG_FORMAT": "xml"})


def test_a_bad_setting_exits_2_with_the_reason() -> None:
    env = {**os.environ, "STEPHOST_LOG_LEVEL": "loud"}
    done = subprocess.run(
        [sys.executable, "-m", "stephost_sidecar", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "STEPHOST_LOG_LEVEL='loud' is not one of" in done.stderr


def test_json_lines_carry_time_level_msg_and_fields() -> None:
    line = JsonFormatter().format(record(logging.WARNING, "stream ended", {"target": "h:1", "n": 2}))
    doc = json.loads(line)
    assert "\n" not in line
    assert doc["level"] == "warn" and doc["msg"] == "stream ended" and "logger" not in doc
    assert doc["target"] == "h:1" and doc["n"] == 2
    stamp = datetime.fromisoformat(doc["time"])  # RFC 3339 with a zone
    assert doc["time"].endswith("Z") and stamp.utcoffset() is not None


def test_a_field_cannot_hide_the_records_own_keys() -> None:
    doc = json.loads(JsonFormatter().format(record(logging.INFO, "m", {"msg": "x", "level": "y"})))
    assert (doc["msg"], doc["level"]) == ("m", "info")


def test_text_lines_start_with_the_level_word_the_supervisor_reads() -> None:
    fmt = TextFormatter()
    assert fmt.format(record(logging.WARNING, "hi")) == "WARN hi"
    line = fmt.format(record(logging.ERROR, "bad", {"file": "steps/a.py", "why": "two words", "n": 1}))
    assert line == 'ERROR bad file=steps/a.py why="two words" n=1'


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_setup_applies_level_and_format_and_reports_setting_problems(restore_logging: None) -> None:
    out = io.StringIO()
    sidecar_log.setup(
        settings_from_env({"STEPHOST_SIDECAR_LOG_LEVEL": "warn", "STEPHOST_LOG_FORMAT": "json"}), out
    )
    logging.getLogger("stephost.sidecar").info("hidden below warn")
    logging.getLogger("stephost.sidecar").error("shown", extra={"fields": {"k": "v"}})
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [(d["level"], d["msg"]) for d in lines] == [
        ("warn", "STEPHOST_SIDECAR_LOG_LEVEL is deprecated; use STEPHOST_LOG_LEVEL"),
        ("error", "shown"),
    ]
    assert lines[1]["k"] == "v"
