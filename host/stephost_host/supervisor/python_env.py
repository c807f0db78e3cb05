"""A project's own virtualenv for its Python steps.

A project with ``requirements.txt``, or a ``pyproject.toml`` with ``[project].dependencies``,
gets ``<state_dir>/python-venv``, and the Python sidecar runs with that venv's interpreter.
Into it go only what the sidecar itself imports (``SIDECAR_REQUIREMENTS``) and the project's
requirements; the sidecar, SDK and wire packages are made importable from the host's install
by a ``.pth`` file rather than installed, so the host's own dependencies (FastAPI, nats-py,
...) neither leak into steps nor pin their versions.

A stamp in the venv holds a digest of everything it was built from (the requirement files,
the sidecar's requirements, the interpreter version, where the host's packages are); the
venv is updated (``pip install``) when the digest differs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from stephost_host.supervisor.installing import InstallError, Say, digest, run_streaming, stamped

VENV_NAME = "python-venv"
STAMP = "stephost-requirements.sha256"
# What stephost_sidecar, stephost and stephost_wire import beyond the standard library. The
# floors are those of the generated stubs (stephost_wire/v1: protobuf gencode 7.35.1, grpc 1.85.1).
SIDECAR_REQUIREMENTS = (
    "grpcio>=1.85.1",
    "protobuf>=7.35.1",
    "orjson>=3.11.7,<4",  # stephost_wire/codec.py: the link's JSON (3.11.7: 1e+16 as Python writes it)
    'uvloop>=0.19; sys_platform != "win32"',  # optional: the sidecar's faster event loop
)
# The packages the sidecar runs from the host's install, linked into the venv.
SOURCE_PACKAGES = ("stephost_sidecar", "stephost", "stephost_wire")
SOURCES_DIR = "stephost-packages"
PTH_FILE = "stephost.pth"


def _pyproject_dependencies(file: Path) -> list[str] | None:
    """``[project].dependencies`` of a pyproject.toml; None when it declares none."""
    try:
        data = tomllib.loads(file.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstallError(f"{file}: cannot read it: {exc}") from None
    project = data.get("project")
    if not isinstance(project, dict) or "dependencies" not in project:
        return None
    deps = project["dependencies"]
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise InstallError(f"{file}: [project].dependencies must be a list of requirement strings")
    return deps


def requirement_files(project: Path) -> list[Path]:
    """The files that give the project its own venv: requirements.txt, and pyproject.toml when it
    has [project].dependencies (only those are installed, not the project itself)."""
    files = []
    if (project / "requirements.txt").is_file():
        files.append(project / "requirements.txt")
    pyproject = project / "pyproject.toml"
    if pyproject.is_file() and _pyproject_dependencies(pyproject) is not None:
        files.append(pyproject)
    return files


def venv_dir(state_dir: Path) -> Path:
    return state_dir / VENV_NAME


def interpreter(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _sources() -> dict[str, Path]:
    """Each package the sidecar needs from the host's install -> its folder."""
    found = {}
    for name in SOURCE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise InstallError(f"the host's install has no {name} package to run the Python sidecar from")
        found[name] = Path(spec.origin).parent
    return found


def _digest(files: list[Path]) -> str:
    parts: list[str | bytes] = [*SIDECAR_REQUIREMENTS, f"{sys.version_info.major}.{sys.version_info.minor}"]
    parts += [str(folder) for folder in _sources().values()]
    for file in files:
        parts += [file.name, file.read_bytes()]
    return digest(parts)


def up_to_date(project: Path, state_dir: Path) -> bool:
    venv = venv_dir(state_dir)
    files = requirement_files(project)
    return interpreter(venv).is_file() and stamped(venv / STAMP, _digest(files))


def _link_sources(venv: Path) -> None:
    """Make the host's sidecar, SDK and wire packages (only those) importable in the venv."""
    folder = venv / SOURCES_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name, source in _sources().items():
        (folder / name).symlink_to(source, target_is_directory=True)
    purelib = subprocess.run(
        [str(interpreter(venv)), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, PTH_FILE).write_text(f"{folder}\n")


def install(project: Path, state_dir: Path, say: Say) -> bool:
    """Create or update the project's venv when it is out of date; False when it already was."""
    files = requirement_files(project)
    if not files:
        return False
    venv = venv_dir(state_dir)
    wanted = _digest(files)
    if interpreter(venv).is_file() and stamped(venv / STAMP, wanted):
        return False
    names = " and ".join(str(f) for f in files)
    if not interpreter(venv).is_file():
        say(f"creating the Python environment {venv} for {names}")
        # The venv module of the interpreter the host runs on (the base one, not the host's venv).
        code, tail = run_streaming([sys.executable, "-m", "venv", str(venv)], project, say)
        if code != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise InstallError(f"cannot create the Python environment {venv} (exit {code}):\n{tail}")
    _link_sources(venv)
    say(f"installing the requirements of {names} into {venv}")
    cmd = [str(interpreter(venv)), "-m", "pip", "install", "--disable-pip-version-check"]
    cmd += ["--progress-bar", "off", *SIDECAR_REQUIREMENTS]
    for file in files:
        cmd += ["-r", str(file)] if file.name == "requirements.txt" else _pyproject_dependencies(file) or []
    code, tail = run_streaming(cmd, project, say)
    if code != 0:
        raise InstallError(
            f"pip could not install the requirements of {names} (exit {code}); its last lines:\n{tail}"
        )
    (venv / STAMP).write_text(wanted + "\n")
    say(f"the Python environment {venv} is ready")
    return True


def sidecar_interpreter(project: Path, state_dir: Path) -> Path | None:
    """The venv's interpreter for a project that has requirement files and a venv; else None
    (the sidecar runs on the host's interpreter, as it does for a project without them)."""
    try:
        if not requirement_files(project):
            return None
    except InstallError:
        return None  # the install reported it; nothing to run in
    python = interpreter(venv_dir(state_dir))
    return python if python.is_file() else None
