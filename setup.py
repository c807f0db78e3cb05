"""Packs the Node and Ruby sidecars into the wheel, so an installed host finds them.

They live in the checkout's sidecars/ (their own package layout, their own tests); the
wheel carries the files they run from as ``stephost_host/runtimes/{node,ruby}``. Node's
packages are not shipped: the host says where to run ``npm ci --omit=dev`` when they are
missing (see stephost_host/supervisor/runtimes.py). Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {
    "node": ["src", "proto", "package.json", "package-lock.json"],
    "ruby": ["bin", "lib"],
}


class BuildPyWithSidecars(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install finds them in the checkout
            return
        target = Path(self.build_lib) / "stephost_host" / "runtimes"
        shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier build
        for language, names in SHIPPED.items():
            for name in names:
                src, dst = ROOT / "sidecars" / language / name, target / language / name
                dst.parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
                else:
                    shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildPyWithSidecars})
