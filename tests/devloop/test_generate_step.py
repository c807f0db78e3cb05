"""``stephost generate step``: each type in each language, written into a project that a real
host then loads and serves (its api answers, its event step handles an emit, its cron fires).

The files are made by the CLI's own parser and handler; the host is the Python tester's
(``stephost dev`` with its own NATS and a sidecar per language).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from stephost.testing import create_tester
from stephost_host.cli import build_parser
from tests.devloop.shell import Terminal, sh

SHORT = {"typescript": "ts", "javascript": "js", "python": "py", "ruby": "rb"}


def _generate_all(project: Path) -> None:
    """The 16 files, through the CLI's own parser and handler in this process (the commands in
    the other tests run as processes; 16 interpreter start-ups would only slow this one down)."""
    for language, short in SHORT.items():
        for kind, flags in (
            ("api", ["--path", f"/gen/{short}", "--method", "post", "--emits", f"gen.{short}.posted"]),
            ("event", ["--subscribes", f"gen.{short}.in", "--emits", f"gen.{short}.out"]),
            ("cron", ["--cron", "* * * * * *", "--emits", f"gen.{short}.tick", "--flow", "gen"]),
            ("noop", ["--emits", f"gen.{short}.out"]),
        ):
            argv = ["generate", "step", "--project", str(project), "--name", f"{short}-{kind}"]
            args = build_parser().parse_args([*argv, "--type", kind, "--language", language, *flags])
            assert args.func(args) == 0


@pytest.mark.timeout(300)
async def test_each_type_in_each_language_is_loaded_and_served(tmp_path: Path) -> None:
    project = tmp_path / "gen"
    (project / "steps").mkdir(parents=True)
    _generate_all(project)
    names = sorted(p.name for p in (project / "steps").iterdir())
    assert "py_api_step.py" in names and "rb_event.step.rb" in names and "ts-cron.step.ts" in names
    assert "js-noop.step.js" in names
    assert (
        (project / "steps" / "js-api.step.js").read_text().startswith("exports.config = {")
    )  # no package.json

    tester = await create_tester(project)
    try:
        steps = {s["name"]: s for s in (await tester.get("/__stephost/steps")).body}
        assert len(steps) == 16, sorted(steps)
        assert steps["rb-cron"]["language"] == "ruby" and steps["ts-noop"]["type"] == "noop"
        assert (await tester.get("/__stephost/load-errors")).body == {"loadErrors": []}

        watchers = {}
        for short in SHORT.values():
            for topic in ("posted", "out", "tick"):
                watchers[short, topic] = await tester.watch(f"gen.{short}.{topic}")
        for short in SHORT.values():
            r = await tester.post(f"/gen/{short}", body={"from": short})
            assert (r.status, r.body) == (200, {"message": f"{short}-api works"})
            await tester.emit(f"gen.{short}.in", {"n": short})
        await tester.wait_events()
        for short in SHORT.values():
            assert [e["data"] for e in watchers[short, "posted"].captured_events()] == [{"from": short}]
            assert [e["data"] for e in watchers[short, "out"].captured_events()] == [{"n": short}]

        deadline = time.monotonic() + 60  # the cron steps fire every second
        while not all(watchers[s, "tick"].captured_events() for s in SHORT.values()):
            assert time.monotonic() < deadline, tester.log()[-3000:]
            await tester.wait_events()
            await asyncio.sleep(0.2)
    finally:
        await tester.close()


def test_files_follow_the_projects_conventions(tmp_path: Path) -> None:
    (tmp_path / "steps").mkdir()
    for name in ("a.step.py", "b.step.py", "c_step.rb"):
        (tmp_path / "steps" / name).write_text("")
    (tmp_path / "package.json").write_text(json.dumps({"type": "module"}))
    done = sh(
        "stephost generate step --name sendEmail --type event --subscribes a.b\n"
        "stephost generate step --name send-email --type event --subscribes a.b --language ruby\n"
        "stephost generate step --name send_email --type noop --language javascript --dir src/mail\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stdout
    # The language most steps use (python), the endings the project uses, and ES modules.
    assert (tmp_path / "steps" / "send_email.step.py").is_file(), done.stdout
    assert (tmp_path / "steps" / "send_email_step.rb").is_file()
    esm = (tmp_path / "src" / "mail" / "send-email.step.js").read_text()
    assert esm.startswith("export const config = {\n  name: 'send_email',\n  type: 'noop',")


def test_bad_or_missing_values_are_refused_naming_the_flag(tmp_path: Path) -> None:
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "taken_step.py").write_text("")
    cases = {
        "--type event --name e": "--subscribes is needed (or run this on a terminal to be asked)",
        "--type cron --name c": "--cron is needed",
        "--name x": "--type is needed",
        "--type api --name 'a b'": "--name 'a b': a letter, then letters, digits, - or _",
        "--type api --name a --path users": "--path 'users': field 'path' = \"users\": must start with '/'",
        "--type cron --name c --cron '61 * * * *'": "not a valid cron expression",
        "--type event --name e --subscribes 'no spaces'": "--subscribes 'no spaces': not a topic: no spaces",
        "--type noop --name taken --language python": "taken_step.py already exists; pick another --name or --dir",
        "--type noop --name n --dir lib": "--dir 'lib': the host looks for steps under steps/ or src/",
    }
    for flags, message in cases.items():
        done = sh(f"stephost generate step {flags} < /dev/null", tmp_path)
        assert done.returncode == 2 and message in done.stdout, (flags, done.stdout)
    assert sorted(p.name for p in (tmp_path / "steps").iterdir()) == ["taken_step.py"]  # nothing written


def test_on_a_terminal_it_asks_for_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "steps").mkdir()
    term = Terminal(
        [sys.executable, "-m", "stephost_host", "generate", "step", "--language", "python"], tmp_path
    )
    term.expect("Step name: ")
    term.send("charge-card")
    term.expect("Type (api/event/cron/noop) [api]: ")
    term.send("event")
    term.expect("Topics it subscribes to (comma-separated): ")
    term.send("order created")  # not a topic: asked again
    term.expect("not a topic: order created")
    term.send("order.created")
    term.expect("Topics it emits (comma-separated) [none]: ")
    term.send("")
    term.expect("Created steps/charge_card_step.py")
    assert term.finish() == 0, term.screen
    text = (tmp_path / "steps" / "charge_card_step.py").read_text()
    assert '"subscribes": ["order.created"],\n    "emits": [],' in text
    assert "ctx.emit" not in text  # it emits nothing
