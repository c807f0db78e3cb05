"""A project's ``Gemfile`` for its Ruby steps, through Bundler, from the gems on this machine.

stephost writes ``<state_dir>/ruby-bundle/Gemfile``: the project's Gemfile (``eval_gemfile``)
plus the gems the sidecar itself needs, resolves it with ``bundle install --local`` (no
network: only gems already installed here, ``gem list``), and starts the Ruby sidecar under
``bundler/setup`` on it, so steps see exactly the bundle's gems. Nothing is written into the
project (its ``Gemfile.lock``, when it has one, seeds the bundle's lock).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from stephost_host.supervisor.installing import InstallError, Say, digest, run_streaming, stamped

BUNDLE_DIR = "ruby-bundle"
STAMP = "stephost-gemfile.sha256"
SIDECAR_GEMS = ("grpc", "google-protobuf")  # what sidecars/ruby requires beyond the standard library
# Bundler ships with Ruby (a default gem) even where the `bundle` command is not installed.
BUNDLE = 'load Gem.bin_path("bundler", "bundle")'


def gemfile(project: Path) -> Path | None:
    file = project / "Gemfile"
    return file if file.is_file() else None


def bundle_dir(state_dir: Path) -> Path:
    return state_dir / BUNDLE_DIR


def _combined(project_gemfile: Path) -> str:
    wanted = ", ".join(f'"{g}"' for g in SIDECAR_GEMS)
    return (
        "# Written by stephost: the project's Gemfile plus the gems the Ruby sidecar needs.\n"
        f"eval_gemfile {str(project_gemfile.resolve())!r}\n"
        f"[{wanted}].each {{ |name| gem name unless dependencies.any? {{ |d| d.name == name }} }}\n"
    )


def _inputs(project_gemfile: Path) -> str:
    lock = project_gemfile.with_name("Gemfile.lock")
    parts: list[str | bytes] = [_combined(project_gemfile), project_gemfile.read_bytes()]
    if lock.is_file():
        parts.append(lock.read_bytes())
    return digest(parts)


def _bundler_env(bundle: Path) -> dict[str, str]:
    # BUNDLE_APP_CONFIG keeps Bundler's settings beside the bundle, not in PROJECT/.bundle; the
    # root warning is about installing gems system-wide, which `--local` never does.
    return {
        "BUNDLE_GEMFILE": str(bundle / "Gemfile"),
        "BUNDLE_APP_CONFIG": str(bundle / ".bundle"),
        "BUNDLE_SILENCE_ROOT_WARNING": "1",
    }


def install(project: Path, state_dir: Path, say: Say) -> bool:
    """Resolve the project's Gemfile against this machine's gems when it changed; False when
    there is no Gemfile or nothing changed."""
    project_gemfile = gemfile(project)
    if project_gemfile is None:
        return False
    bundle = bundle_dir(state_dir)
    wanted = _inputs(project_gemfile)
    if stamped(bundle / STAMP, wanted):
        return False
    if not shutil.which("ruby"):
        raise InstallError(f"{project_gemfile}: Ruby is not installed, so its gems cannot be resolved")
    bundle.mkdir(parents=True, exist_ok=True)
    (bundle / "Gemfile").write_text(_combined(project_gemfile))
    project_lock = project_gemfile.with_name("Gemfile.lock")
    if project_lock.is_file():
        shutil.copyfile(project_lock, bundle / "Gemfile.lock")
    say(f"resolving {project_gemfile} against the gems installed on this machine (bundle install --local)")
    env = {**os.environ, **_bundler_env(bundle)}
    code, tail = run_streaming(["ruby", "-e", BUNDLE, "install", "--local"], project, say, env)
    if code != 0:
        (bundle / STAMP).unlink(missing_ok=True)
        raise InstallError(
            f"{project_gemfile}: Bundler could not satisfy it from the gems installed on this machine "
            f"(exit {code}). stephost installs no gems from the network: it resolves a project's Gemfile "
            "against the installed gems (`gem list`); install what is missing (`gem install NAME` or "
            f"your system's packages) and run `stephost install` again. Bundler said:\n{tail}"
        )
    (bundle / STAMP).write_text(wanted + "\n")
    say(f"the Ruby bundle for {project_gemfile} is ready")
    return True


def sidecar_env(project: Path, state_dir: Path) -> dict[str, str]:
    """The variables that run the Ruby sidecar inside the project's bundle (none without a
    Gemfile, or before the bundle was resolved)."""
    bundle = bundle_dir(state_dir)
    if gemfile(project) is None or not (bundle / STAMP).is_file():
        return {}
    rubyopt = " ".join(filter(None, [os.environ.get("RUBYOPT", ""), "-rbundler/setup"]))
    return {**_bundler_env(bundle), "RUBYOPT": rubyopt}
