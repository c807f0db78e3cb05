"""``stephost generate step``: one new step file, named and written the way the project's own are.

What the flags leave out is asked on a terminal, and is an error naming the flag otherwise. The
handler bodies are ``templates/_steps/<family>/<type>.txt``; the config is rendered here in each
language's own literal syntax. A line of a body that mentions ``{{topic}}`` (the emit) is kept only
when the step emits something.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stephost_host.prompts import PromptAborted, ask, interactive
from stephost_host.scaffold import TEMPLATES_DIR, render
from stephost_wire.project import STEP_DIRS, project_files

BAD_ARGS = 2
TYPES = ("api", "event", "cron", "noop")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
TOPIC = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$")


@dataclass(frozen=True)
class Language:
    family: str  # which handler bodies: node, python or ruby
    pattern: re.Pattern[str]  # the language's step files
    separator: str  # between the words of a file name
    suffixes: tuple[str, ...]  # step-file endings, the default first


LANGUAGES = {
    "typescript": Language("node", re.compile(r".+\.step\.(ts|mts|cts)$"), "-", (".step.ts",)),
    "javascript": Language("node", re.compile(r".+\.step\.(js|mjs|cjs)$"), "-", (".step.js",)),
    "python": Language("python", re.compile(r".+(_step|\.step)\.py$"), "_", ("_step.py", ".step.py")),
    "ruby": Language("ruby", re.compile(r".+(_step|\.step)\.rb$"), "_", (".step.rb", "_step.rb")),
}
DEFAULT_LANGUAGE = "typescript"


class Refused(Exception):
    """A value is missing or wrong; the message names the flag."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "step",
        help="write a new step file (asks for what the flags leave out on a terminal)",
        description="Write one step file into the project, named like its other step files.",
    )
    p.add_argument("--name", help="the step's name, e.g. send-email")
    p.add_argument("--type", choices=TYPES, help="api, event, cron or noop")
    p.add_argument(
        "--language",
        choices=list(LANGUAGES),
        help="default: the language most of the project's steps use (typescript in an empty project)",
    )
    p.add_argument("--path", help="api: the route, e.g. /users/:id (default /NAME)")
    p.add_argument("--method", type=str.upper, help="api: the HTTP method (default GET)")
    p.add_argument(
        "--subscribes",
        "--topic",
        action="append",
        help="event: a topic it handles (repeat it, or separate topics with commas)",
    )
    p.add_argument("--emits", action="append", help="a topic it emits (repeat it, or separate with commas)")
    p.add_argument("--cron", help="cron: the schedule, 5 fields or 6 with seconds first")
    p.add_argument(
        "--flow", action="append", help="a flow it belongs to (repeat it, or separate with commas)"
    )
    p.add_argument("--dir", default="steps", help="folder for the file, under steps/ or src/ (default steps)")
    p.add_argument("--project", default=".", help="the project folder (default .)")
    p.set_defaults(func=run)


def _topics(values: list[str] | None) -> list[str]:
    return [t.strip() for v in values or [] for t in v.split(",") if t.strip()]


def _check_name(value: str) -> str | None:
    return None if NAME.match(value) else "a letter, then letters, digits, - or _"


def _check_topics(value: str) -> str | None:
    topics = _topics([value])
    bad = [t for t in topics if not TOPIC.match(t)]
    return f"not a topic: {', '.join(bad)}" if bad else None if topics else "at least one topic"


# The smallest valid config of each type: a field's answer is checked by the host's own config
# rules (steps/models.py) with the rest of the step left at these.
_MINIMAL: dict[str, dict[str, Any]] = {
    "api": {"path": "/", "method": "GET", "emits": []},
    "event": {"subscribes": [], "emits": []},
    "cron": {"cron": "0 * * * *", "emits": []},
    "noop": {},
}


def config_problem(config: dict[str, Any]) -> str | None:
    """What the host would refuse in this config when loading it, or None."""
    # Imported here: pydantic's models cost every other stephost command their start-up time.
    from stephost_host.steps.models import ConfigInvalid, parse_config

    try:
        parse_config(json.dumps(config), "")
    except ConfigInvalid as exc:
        return str(exc).split(": invalid config for step ", 1)[-1].split(": ", 1)[-1]
    return None


def _field_check(kind: str, key: str) -> Any:
    return lambda value: config_problem({"name": "x", "type": kind, **_MINIMAL[kind], key: value})


class _Values:
    """Each value from its flag, else from a question on a terminal, else a Refused naming the flag."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.ask = interactive()

    def get(
        self, flag: str, question: str, *, default: str | None = None, check: Any = None, **kw: Any
    ) -> str:
        given = getattr(self.args, flag)
        if given is not None:
            objection = check(given) if check else None
            if objection:
                raise Refused(f"--{flag} {given!r}: {objection}")
            return str(given)
        if self.ask:
            return ask(question, default=default, check=check, **kw)
        if default is not None:
            return default
        raise Refused(f"--{flag} is needed (or run this on a terminal to be asked)")

    def topics(self, flag: str, question: str, *, needed: bool) -> list[str]:
        given = ",".join(_topics(getattr(self.args, flag)))
        if not given and self.ask:
            none = None if needed else "none"
            given = ask(question, default=none, check=lambda v: None if v == none else _check_topics(v))
            given = "" if given == none else given
        elif not given and needed:
            raise Refused(f"--{flag} is needed (or run this on a terminal to be asked)")
        objection = _check_topics(given) if given else None
        if objection:
            raise Refused(f"--{flag} {given!r}: {objection}")
        return _topics([given])


def _project_language(project: Path) -> str:
    """The language most of the project's step files are in."""
    counts = Counter(
        language
        for path in project_files(project)
        for language, spec in LANGUAGES.items()
        if spec.pattern.match(path.name)
    )
    return counts.most_common(1)[0][0] if counts else DEFAULT_LANGUAGE


def _words(name: str) -> list[str]:
    """``sendEmail``, ``send-email``, ``send_email`` -> ``["send", "email"]``."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("-", " ").replace("_", " ").lower().split()


def _file_name(project: Path, name: str, language: str) -> str:
    """``send-email.step.ts`` / ``send_email_step.py``: words of the name joined the language's
    way, with the step-file ending most of the project's files of that language use."""
    spec = LANGUAGES[language]
    words = _words(name)
    used = Counter(
        suffix
        for path in project_files(project, spec.pattern)
        for suffix in spec.suffixes
        if path.name.endswith(suffix)
    )
    suffix = used.most_common(1)[0][0] if used else spec.suffixes[0]
    return spec.separator.join(words) + suffix


def _literal(value: Any, family: str) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, family) for v in value) + "]"
    if family == "node":
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
    text = json.dumps(value)  # a valid Python and Ruby string literal too
    return text.replace("#{", "\\#{") if family == "ruby" else text


def render_config(config: dict[str, Any], family: str) -> str:
    if family == "node":
        return (
            "export const config = {\n"
            + "".join(f"  {k}: {_literal(v, family)},\n" for k, v in config.items())
            + "}"
        )
    if family == "python":
        return (
            "config = {\n"
            + "".join(f"    {json.dumps(k)}: {_literal(v, family)},\n" for k, v in config.items())
            + "}"
        )
    items = ",\n".join(f"    {json.dumps(k)} => {_literal(v, family)}" for k, v in config.items())
    return "def config\n  {\n" + items + "\n  }\nend"


def _esm_to_commonjs(text: str) -> str:
    return re.sub(r"^export const (\w+) =", r"exports.\1 =", text, flags=re.MULTILINE)


def _commonjs(project: Path) -> bool:
    """JavaScript steps are CommonJS unless the project's package.json says ``"type": "module"``."""
    try:
        return json.loads((project / "package.json").read_text()).get("type") != "module"
    except (OSError, ValueError):
        return True


def step_source(config: dict[str, Any], language: str, commonjs: bool = False) -> str:
    family = LANGUAGES[language].family
    body = "{{config}}\n"
    if config["type"] != "noop":
        body = (TEMPLATES_DIR / "_steps" / family / f"{config['type']}.txt").read_text()
    emits = config.get("emits") or []
    if not emits:
        body = "".join(line for line in body.splitlines(keepends=True) if "{{topic}}" not in line)
    text = render(
        body,
        {"config": render_config(config, family), "name": config["name"], "topic": emits[0] if emits else ""},
    )
    return _esm_to_commonjs(text) if language == "javascript" and commonjs else text


def _collect(args: argparse.Namespace, project: Path) -> tuple[dict[str, Any], str]:
    values = _Values(args)
    name = values.get("name", "Step name", check=_check_name)
    kind = values.get("type", "Type", choices=TYPES, default="api" if values.ask else None)
    language = values.get("language", "Language", choices=list(LANGUAGES), default=_project_language(project))
    config: dict[str, Any] = {"name": name, "type": kind}
    if kind == "api":
        config["path"] = values.get(
            "path", "Path", default="/" + "-".join(_words(name)), check=_field_check(kind, "path")
        )
        config["method"] = values.get(
            "method", "Method", default="GET", check=_field_check(kind, "method")
        ).upper()
    elif kind == "event":
        config["subscribes"] = values.topics(
            "subscribes", "Topics it subscribes to (comma-separated)", needed=True
        )
    elif kind == "cron":
        config["cron"] = values.get(
            "cron", "Schedule", default="0 * * * *" if values.ask else None, check=_field_check(kind, "cron")
        )
    emits = values.topics("emits", "Topics it emits (comma-separated)", needed=False)
    if kind == "noop":
        config["virtualEmits"] = emits
    else:
        config["emits"] = emits
    flows = _topics(args.flow)
    if flows:
        config["flows"] = flows
    return config, language


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    folder = project / args.dir
    try:
        top = Path(args.dir).parts[0] if Path(args.dir).parts else ""
        if Path(args.dir).is_absolute() or top not in STEP_DIRS or ".." in Path(args.dir).parts:
            raise Refused(f"--dir {args.dir!r}: the host looks for steps under steps/ or src/ of the project")
        config, language = _collect(args, project)
        problem = config_problem(config)
        if problem:
            raise Refused(f"the step's config would not load: {problem}")
        target = folder / _file_name(project, config["name"], language)
        if target.exists():
            raise Refused(f"{target} already exists; pick another --name or --dir")
        text = step_source(config, language, commonjs=_commonjs(project))
    except Refused as exc:
        print(f"stephost generate step: {exc}", file=sys.stderr)
        return BAD_ARGS
    except PromptAborted:
        print("stephost generate step: cancelled; nothing was written", file=sys.stderr)
        return BAD_ARGS
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(target, "x") as f:  # "x": a file that appeared meanwhile is not overwritten either
            f.write(text)
    except OSError as exc:
        print(
            f"stephost generate step: cannot write {exc.filename or target}: {exc.strerror}", file=sys.stderr
        )
        return 1
    print(f"Created {target} ({language} {config['type']} step {config['name']!r})")
    return 0
