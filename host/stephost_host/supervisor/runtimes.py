"""Where the Node and Ruby sidecars' files are, for a checkout and for an installed host alike.

The first of these that applies wins:

1. ``STEPHOST_SIDECARS_DIR``: a folder holding ``node/`` and ``ruby/`` laid out as the
   checkout's ``sidecars/`` (for a container or a shared install that keeps them elsewhere);
2. ``stephost_host/runtimes/``: the copy a wheel carries (``setup.py`` puts it there);
3. the checkout's ``sidecars/``, so a source checkout (or editable install) needs nothing set.

(``STEPHOST_NODE_SIDECAR`` / ``STEPHOST_RUBY_SIDECAR`` replace the whole command and skip
this lookup; see ``languages.py``.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PACKAGED = Path(__file__).resolve().parents[1] / "runtimes"
CHECKOUT = Path(__file__).resolve().parents[3] / "sidecars"

# Each sidecar's entry point, relative to its folder.
ENTRY = {"node": "src/main.js", "ruby": "bin/stephost-sidecar-ruby"}


def sidecars_dir() -> Path:
    configured = os.environ.get("STEPHOST_SIDECARS_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return PACKAGED if PACKAGED.is_dir() else CHECKOUT


def home(language: str) -> Path:
    """The folder of one language's sidecar (node or ruby)."""
    return sidecars_dir() / language


def entry(language: str) -> Path:
    return home(language) / ENTRY[language]


def missing_node_packages(folder: Path) -> list[str]:
    """The Node sidecar's dependencies that `require` would not find from ``folder``.

    Resolved the way Node does: ``node_modules`` in the folder or any folder above it.
    """
    manifest = json.loads((folder / "package.json").read_text())
    lookup = [d / "node_modules" for d in (folder, *folder.parents)]
    return [
        name
        for name in manifest.get("dependencies", {})
        if not any((modules / name / "package.json").is_file() for modules in lookup)
    ]


def problem(language: str) -> str | None:
    """Why the host's own copy of a sidecar cannot start, with what to do about it."""
    folder = home(language)
    if not entry(language).is_file():
        return (
            f"{language} steps found but there is no {language} sidecar at {folder} "
            "(set STEPHOST_SIDECARS_DIR to a folder holding node/ and ruby/, "
            f"or STEPHOST_{language.upper()}_SIDECAR to the command that starts it)"
        )
    if language == "node":
        missing = missing_node_packages(folder)
        if missing:
            return (
                f"node steps found but the Node sidecar's packages are not installed "
                f"(missing {', '.join(missing)}); run: cd {folder} && npm ci --omit=dev"
            )
    return None
