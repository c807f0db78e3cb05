"""`python -m bench.sidecar_ab` and the http section's sidecar CPU row, against a baseline
checkout (this checkout stands in for one: it has its own .venv)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"\d+(?:\.\d+)?"


def bench(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.timeout(600)
def test_sidecar_ab_prints_each_run_with_its_load_and_ruby_as_a_share_of_python() -> None:
    text = bench(
        "bench.sidecar_ab",
        "--baseline",
        str(ROOT),
        "--languages",
        "python,ruby",
        "--rounds",
        "1",
        "--seconds",
        "2",
        "--connections",
        "4",
    )
    runs = re.findall(
        rf"^round 1 +(this|baseline) +(python|ruby): +({NUMBER}) req/s +({NUMBER}) sidecar CPU ms/req"
        rf" +\(load {NUMBER}\)$",
        text,
        re.M,
    )
    assert sorted((code, lang) for code, lang, _, _ in runs) == [
        ("baseline", "python"),
        ("baseline", "ruby"),
        ("this", "python"),
        ("this", "ruby"),
    ], text
    # Every run answered requests, and its sidecar spent CPU on them (2 s: many clock ticks).
    assert all(float(rps) > 0 and float(cpu) > 0 for _, _, rps, cpu in runs), text
    for code in ("this", "baseline"):
        assert re.search(rf"^ *{code}: ruby req/s as % of python's, round by round: \d+%$", text, re.M), text


@pytest.mark.timeout(600)
def test_the_http_section_prints_the_sidecars_cpu_per_request() -> None:
    text = bench("bench", "--only", "http", "--languages", "ruby", "--seconds", "1", "--connections", "4")
    m = re.search(rf"^ruby api step, sidecar CPU ms/req +({NUMBER})$", text, re.M)
    assert m and float(m.group(1)) > 0, text
