"""New projects from the templates shipped in ``stephost_host/templates`` (``stephost create``).

A template is a list of folders copied in order, plus single files picked from other folders
(the mixed template is the TypeScript api step, the Python event step and the Ruby cron step of
the others), so every step file exists once. Text files may hold ``{{key}}`` placeholders; a
name that ``_dot`` maps is a dotfile in the project (a dotfile inside the package would be
dropped by some packaging tools and would act on this repository's own git).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from stephost_host.supervisor import runtimes

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
DOTFILES = {"_gitignore": ".gitignore", "_env.example": ".env.example"}
PYTEST_NOTE = (
    "`pytest` runs where stephost is installed, with pytest-asyncio: "
    "`pip install pytest pytest-asyncio` there if they are missing."
)


@dataclass(frozen=True)
class Template:
    summary: str
    test_command: str
    test_note: str
    folders: tuple[str, ...]
    picks: tuple[str, ...] = ()  # "<folder>/<path in the project>"
    renames: dict[str, str] = field(default_factory=dict)  # file suffix -> suffix in the project


_NODE_NOTE = (
    "`package.json` links the `stephost` package (its testing helpers are `stephost/testing`) "
    "from this machine's stephost, `{{stephost_node}}`; `stephost create` made the link in "
    "`node_modules`, and `npm install` makes it again."
)

TEMPLATES: dict[str, Template] = {
    "typescript": Template(
        "TypeScript steps, tests under node --test",
        "npm test",
        _NODE_NOTE,
        ("_common", "typescript", "node"),
    ),
    "javascript": Template(
        "JavaScript (ES module) steps, tests under node --test",
        "npm test",
        _NODE_NOTE,
        ("_common", "javascript", "node"),
        renames={".ts": ".js"},
    ),
    "python": Template("Python steps, tests under pytest", "pytest", PYTEST_NOTE, ("_common", "python")),
    "ruby": Template(
        "Ruby steps, tests under minitest",
        "rake test",
        "The `Rakefile` finds stephost's Ruby helpers (`stephost/testing`) at `{{stephost_ruby_lib}}`; "
        "set `STEPHOST_RUBY_LIB` when they are elsewhere.",
        ("_common", "ruby"),
    ),
    "mixed": Template(
        "one flow across TypeScript (api), Python (event) and Ruby (cron), tests under pytest",
        "pytest",
        PYTEST_NOTE,
        ("_common",),
        picks=(
            "node/steps/create-greeting.step.ts",
            "python/steps/send_greeting_step.py",
            "python/steps/greetings_stream.py",
            "ruby/steps/count_greetings.step.rb",
            "python/pytest.ini",
            "python/tests/test_flow.py",
            "python/tests/test_send_greeting.py",
        ),
    ),
}
DEFAULT_TEMPLATE = "typescript"  # as Motia's own `create`


class ScaffoldError(Exception):
    """A project cannot be made there; the message says why."""


def render(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{{key}}}}} has no value")
        return values[key]

    return PLACEHOLDER.sub(one, text)


def _sources(template: Template) -> dict[str, Path]:
    """Project path -> template file, later folders and picks overriding earlier ones."""
    files: dict[str, Path] = {}
    for folder in template.folders:
        base = TEMPLATES_DIR / folder
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            files[path.relative_to(base).as_posix()] = path
    for pick in template.picks:
        folder, _, rel = pick.partition("/")
        files[rel] = TEMPLATES_DIR / folder / rel
    return files


def _target_name(rel: str, template: Template) -> str:
    parent, _, name = rel.rpartition("/")
    name = DOTFILES.get(name, name)
    for old, new in template.renames.items():
        if name.endswith(old):
            name = name[: -len(old)] + new
    return f"{parent}/{name}" if parent else name


def _summary(text: str) -> str:
    """A step file's first comment line: what the file does, for the project's README."""
    first = text.splitlines()[0] if text else ""
    return re.sub(r"^\s*(#|//)\s*", "", first) if re.match(r"^\s*(#|//)", first) else ""


def refuse_existing(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists and is not empty: pick a new folder name")


def create_project(target: Path, template_name: str) -> list[Path]:
    """Writes the template into ``target`` (absent or empty); returns the files written."""
    template = TEMPLATES[template_name]
    refuse_existing(target)
    node_home, ruby_lib = runtimes.home("node"), runtimes.home("ruby") / "lib"
    name = target.resolve().name  # `stephost create .` names the project after the folder
    values = {
        "name": name,
        # npm's rule for package names: lower case, no spaces.
        "package_name": re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._") or "stephost-app",
        "template": template_name,
        "test_command": template.test_command,
        "stephost_node": str(node_home),
        "stephost_ruby_lib": str(ruby_lib),
    }
    planned = {_target_name(rel, template): src.read_text() for rel, src in _sources(template).items()}
    steps = sorted(rel for rel in planned if rel.startswith("steps/"))
    values["files"] = "\n".join(f"| `{rel}` | {_summary(planned[rel])} |" for rel in steps)
    values["test_note"] = render(template.test_note, values)
    written = []
    for rel, text in planned.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(text, values))
        written.append(path)
    if "package.json" in planned:
        # What `npm install` makes of the `file:` dependency, made here so the tests run offline.
        link = target / "node_modules" / "stephost"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(node_home, target_is_directory=True)
    return written
