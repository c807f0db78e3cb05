from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from stephost_sidecar.hooks import load_hooks
from stephost_sidecar.loader import load_project

Write = Callable[[dict[str, str]], Path]


def step(name: str, kind: str = "event", extra: str = "") -> str:
    return f"""
        config = {{"name": "{name}", "type": "{kind}", "subscribes": ["t"]{extra}}}

        def handler(input, ctx):
            return "{name}"
    """


def test_finds_both_spellings_under_steps_and_src_recursively(project: Write) -> None:
    root = project(
        {
            "steps/a_step.py": step("a"),
            "steps/deep/er/b.step.py": step("b"),
            "src/c_step.py": step("c"),
            "steps/helpers.py": "raise RuntimeError('not a step file: never imported')",
            "other/d_step.py": step("d"),  # outside steps/ and src/
            "steps/node_modules/e_step.py": step("e"),
            "steps/.hidden/f_step.py": step("f"),
        }
    )
    loaded = load_project(root)
    assert sorted(s.name for s in loaded.steps) == ["a", "b", "c"]
    assert {s.file for s in loaded.steps} == {"steps/a_step.py", "steps/deep/er/b.step.py", "src/c_step.py"}
    assert loaded.failures == []


def test_a_broken_file_is_reported_with_its_path_and_reason_and_the_rest_load(project: Write) -> None:
    root = project(
        {
            "steps/good_step.py": step("good"),
            "steps/syntax_step.py": "config = {\n",
            "steps/raises.step.py": "raise ImportError('no module named nowhere')",
            "steps/nohandler_step.py": 'config = {"name": "x", "type": "event"}',
            "steps/noconfig_step.py": "def handler(i, c): pass",
            "steps/noname_step.py": 'config = {"type": "event"}\ndef handler(i, c): pass',
            "steps/badmw_step.py": step("mw", "api", ', "middleware": [1]'),
        }
    )
    loaded = load_project(root)
    assert [s.name for s in loaded.steps] == ["good"]
    why = {f.file: f.message for f in loaded.failures}
    assert why["steps/syntax_step.py"].startswith("SyntaxError:")
    assert why["steps/raises.step.py"] == "ImportError: no module named nowhere"
    assert why["steps/nohandler_step.py"] == "TypeError: the file must define a callable `handler`"
    assert why["steps/noconfig_step.py"] == "TypeError: the file must define `config` as a dict"
    assert why["steps/noname_step.py"] == "ValueError: config.name must be a non-empty string"
    assert why["steps/badmw_step.py"] == "TypeError: config.middleware must be a list of functions"
    syntax = next(f for f in loaded.failures if f.file == "steps/syntax_step.py")
    assert "syntax_step.py" in syntax.stack


def test_a_duplicate_name_keeps_the_first_file_and_names_it(project: Write) -> None:
    loaded = load_project(project({"steps/a_step.py": step("same"), "steps/b_step.py": step("same")}))
    assert [s.file for s in loaded.steps] == ["steps/a_step.py"]
    [dup] = loaded.failures
    assert dup.file == "steps/b_step.py" and "already used by steps/a_step.py" in dup.message


def test_noop_steps_need_no_handler_and_the_manifest_drops_functions(project: Write) -> None:
    root = project(
        {
            "steps/n_step.py": 'config = {"name": "n", "type": "noop"}',
            "steps/api_step.py": """
                def mw(req, ctx, next_fn):
                    return next_fn()

                config = {"name": "api", "type": "api", "path": "/x", "method": "GET", "middleware": [mw]}

                def handler(req, ctx):
                    return {}
            """,
        }
    )
    steps = {s.name: s for s in load_project(root).steps}
    assert steps["n"].type == "noop" and steps["n"].handler(None, None) is None
    assert len(steps["api"].middleware) == 1
    assert "middleware" not in steps["api"].config_json


def test_pydantic_models_become_json_schema_also_in_a_response_schema_by_status(project: Write) -> None:
    root = project(
        {
            "steps/api_step.py": """
                from pydantic import BaseModel

                class Order(BaseModel):
                    id: str

                config = {
                    "name": "api", "type": "api", "path": "/x", "method": "POST",
                    "bodySchema": Order, "responseSchema": {200: Order, 404: {"type": "null"}},
                }

                def handler(req, ctx):
                    return {}
            """,
        }
    )
    (loaded,) = load_project(root).steps
    config = json.loads(loaded.config_json)
    assert config["bodySchema"]["properties"] == {"id": {"title": "Id", "type": "string"}}
    assert config["responseSchema"]["200"]["required"] == ["id"]
    assert config["responseSchema"]["404"] == {"type": "null"}


def test_streams_load_and_their_access_checks_become_hooks(project: Write) -> None:
    root = project(
        {
            "steps/todo_stream.py": """
                config = {"name": "todo", "schema": {"type": "object"}}

                def can_access(subscription, auth):
                    return True
            """,
            "steps/open.stream.py": 'config = {"name": "open", "schema": {"type": "object"}}',
        }
    )
    loaded = load_project(root)
    streams = {s.name: s for s in loaded.streams}
    assert '"canAccess": true' in streams["todo"].config_json
    assert "canAccess" not in streams["open"].config_json
    hooks = load_hooks(root, loaded)
    assert set(hooks.can_access) == {"todo"}
    assert hooks.names() == []  # per-stream checks travel in the stream manifests


def test_stream_auth_file_is_found_and_a_broken_one_is_a_load_failure(project: Write) -> None:
    root = project({"steps/stream_auth.py": "def authenticate(request):\n    return {'user': 1}\n"})
    hooks = load_hooks(root, loaded := load_project(root))
    assert hooks.names() == ["stream_authenticate"] and loaded.failures == []

    bad = project({"stream_auth.py": "authenticate = 3\n"})
    hooks = load_hooks(bad, loaded := load_project(bad))
    assert hooks.names() == []
    [failure] = loaded.failures
    assert failure.file == "stream_auth.py" and "authenticate(request)" in failure.message


def test_handler_arity_is_checked_at_load_for_the_step_type(project: Write) -> None:
    root = project(
        {
            "steps/api1_step.py": 'config = {"name": "a1", "type": "api", "path": "/a"}\n'
            "async def handler(req):\n    return {}\n",
            "steps/cron2_step.py": 'config = {"name": "c2", "type": "cron", "cron": "* * * * *"}\n'
            "def handler(a, b):\n    pass\n",
            "steps/kw_step.py": 'config = {"name": "kw", "type": "event", "subscribes": ["t"]}\n'
            "def handler(input, ctx, *, must):\n    pass\n",
            "steps/rest_step.py": 'config = {"name": "rest", "type": "event", "subscribes": ["t"]}\n'
            "def handler(*args):\n    pass\n",
            "steps/opt_step.py": 'config = {"name": "opt", "type": "cron", "cron": "* * * * *"}\n'
            "def handler(ctx, extra=1):\n    pass\n",
        }
    )
    loaded = load_project(root)
    assert sorted(s.name for s in loaded.steps) == ["opt", "rest"]
    errors = {f.file: f.message for f in loaded.failures}
    assert "api step's handler takes 2 arguments: `def handler(req, ctx)`" in errors["steps/api1_step.py"]
    assert "but it is `def handler(req)`" in errors["steps/api1_step.py"]
    assert "cron step's handler takes 1 argument: `def handler(ctx)`" in errors["steps/cron2_step.py"]
    assert "event step's handler takes 2 arguments" in errors["steps/kw_step.py"]


def test_sys_exit_at_import_is_that_files_load_error(project: Write) -> None:
    root = project(
        {
            "steps/a_step.py": step("a"),
            "steps/exits_step.py": "import sys\nsys.exit('DATABASE_URL is not set')\n",
            "steps/quits_step.py": "exit(3)\n",
        }
    )
    loaded = load_project(root)
    assert [s.name for s in loaded.steps] == ["a"]
    errors = {f.file: f.message for f in loaded.failures}
    assert errors["steps/exits_step.py"].startswith(
        "SystemExit: the file called sys.exit('DATABASE_URL is not set')"
    )
    assert "sys.exit(3)" in errors["steps/quits_step.py"]


def test_a_missing_package_says_where_to_declare_it(project: Write) -> None:
    root = project({"steps/needs_step.py": "\n        import stephost_no_such_pkg.sub" + step("needs")})
    (failure,) = load_project(root).failures
    assert failure.message == (
        "ModuleNotFoundError: No module named 'stephost_no_such_pkg' (if 'stephost_no_such_pkg' is a "
        "package, add it to the project's requirements.txt or pyproject.toml and run `stephost install`)"
    )
