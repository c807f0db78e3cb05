"""The Workbench: a page to see flows, call endpoints, follow logs and traces and edit state.

Its source is ``ui/`` (Preact, built by Vite in ``make install``); the build goes to
``static/``, which the host serves at ``/__stephost/workbench/`` (``http/admin/workbench.py``).
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
PATH = "/workbench"  # under the admin prefix
