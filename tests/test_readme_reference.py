"""README.md stays a true reference: its settings tables name every setting config.py has, and
every link it makes (to a file of the checkout or to one of its own headings) leads somewhere."""

from __future__ import annotations

import re

from stephost_host.config import Settings
from tests.harness import ROOT

README = (ROOT / "README.md").read_text()
PROSE = re.sub(r"^```.*?^```", "", README, flags=re.M | re.S)  # a `#` line in a code block is no heading


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_setting_is_in_a_settings_table() -> None:
    # Table rows name settings in backticks in their first cell (`a`, `b`; `ingress_*` for a family).
    named: set[str] = set()
    for row in re.findall(r"^\| (.+?) \|", PROSE, flags=re.M):
        named.update(re.findall(r"`([a-z_*]+)`", row))
    families = [n[:-1] for n in named if n.endswith("*")]
    missing = [
        name
        for name in Settings.model_fields
        if name != "project" and name not in named and not any(name.startswith(f) for f in families)
    ]
    assert not missing, f"settings without a row in README's tables: {missing}"


def test_every_link_leads_somewhere() -> None:
    anchors = {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", PROSE, flags=re.M)}
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", PROSE):
        if target.startswith(("http://", "https://")):
            continue
        if target.startswith("#"):
            if target[1:] not in anchors:
                broken.append(target)
        elif not (ROOT / target.split("#")[0]).exists():
            broken.append(target)
    assert not broken, f"README links that lead nowhere: {broken}"
