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
        rf"^round 1 +(this|baseline) +(python|ruby): +({NUMBER}) req/s +({NUMBER}) sidecar +({NUMBER}) host"
        rf" CPU ms/req +\(load {NUMBER}\)$",
        text,
        re.M,
    )
    assert sorted((code, lang) for code, lang, _, _, _ in runs) == [
        ("baseline", "python"),
        ("baseline", "ruby"),
        ("this", "python"),
        ("this", "ruby"),
    ], text
    # Every run answered requests, and its sidecar and host spent CPU on them (2 s: many ticks).
    assert all(float(rps) > 0 and float(cpu) > 0 and float(host) > 0 for _, _, rps, cpu, host in runs), text
    for code in ("this", "baseline"):
        assert re.search(rf"^ *{code}: ruby req/s as % of python's, round by round: \d+%$", text, re.M), text
    median = rf"^ruby api step, % of the python one, median +this: +{NUMBER} baseline: +{NUMBER}$"
    assert re.search(median, text, re.M), text


@pytest.mark.timeout(600)
def test_the_http_section_sets_ruby_against_python_in_alternating_turns() -> None:
    """Three rounds of one turn per language, Python and Ruby side by side in each round and
    neither always first; the table has the medians, the sidecar's CPU per request, and Ruby's
    share of Python's req/s as its median with the lowest and highest round."""
    text = bench(
        "bench", "--only", "http", "--languages", "python,ruby", "--seconds", "2", "--connections", "4"
    )
    turns = re.findall(rf"^round (\d) +this +(python|ruby): +({NUMBER}) req/s", text, re.M)
    assert [(r, lang) for r, lang, _ in turns] == [
        ("1", "python"),
        ("1", "ruby"),
        ("2", "ruby"),
        ("2", "python"),
        ("3", "python"),
        ("3", "ruby"),
    ], text
    rps = {(r, lang): float(v) for r, lang, v in turns}
    shares = sorted(100 * rps[r, "ruby"] / rps[r, "python"] for r in "123")
    for lang in ("python", "ruby"):
        for who in ("sidecar", "host"):
            m = re.search(rf"^{lang} api step, {who} CPU ms/req +({NUMBER})$", text, re.M)
            assert m and float(m.group(1)) > 0, text
        m = re.search(rf"^{lang} api step, req/s +({NUMBER})$", text, re.M)
        assert m and float(m.group(1)) == pytest.approx(sorted(rps[r, lang] for r in "123")[1], abs=1), text
    for row, want in (("median", shares[1]), ("lowest round", shares[0]), ("highest round", shares[2])):
        m = re.search(rf"^ruby api step, % of the python one, {row} +({NUMBER})$", text, re.M)
        assert m and float(m.group(1)) == pytest.approx(want, abs=1), (row, text)
