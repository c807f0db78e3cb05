"""OpenAPI 3.1 for a project's api steps, in every language: `stephost generate openapi` and
the running host's ``/__stephost/api/openapi.json`` build it here.

Per api step: ``/orders/:id`` becomes ``/orders/{id}`` with a path parameter, ``queryParams``
become query parameters, ``bodySchema`` the JSON request body, ``responseSchema`` (a schema
per status, or one schema for 200) the responses, ``flows`` the tags, ``description`` the
description and the step name the operationId. Each step schema goes into
``components/schemas`` whole and its own ``$ref``s (``#/definitions/...``, ``#/$defs/...``)
are rewritten to point into it there, so pydantic's and zod's references still resolve.
The answers the host itself gives (a body it refuses, one too large, a step that is down or
too slow) are documented with the host's error shape.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stephost_host.generate.project import add_project_args, load_project, project_of, report

if TYPE_CHECKING:  # imported where used: the CLI's parser is built from this module
    from stephost_host.steps.models import ApiStep, StepDef

OPENAPI = "3.1.0"
ERROR = "StephostError"
_COMPONENT_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
# What the host answers on its own, whatever the step does (http/app.py).
HOST_ANSWERS = {
    "413": "The request body is larger than the host accepts (max_body_bytes)",
    "500": "The handler failed; the body names an error id to find it in the host's log",
    "502": "The sidecar running the step was lost during the request",
    "503": "No sidecar serves the step right now (it is restarting, or its file failed to load)",
    "504": "The handler ran past its timeout",
}


def build_spec(
    steps: Iterable[StepDef], *, title: str = "stephost project", version: str = "0.1.0", validated: bool
) -> dict[str, Any]:
    """The document for these steps (the api steps among them, by path and method).
    ``validated``: the host checks bodies against ``bodySchema`` (validate_schemas)."""
    from stephost_host.steps.models import ApiStep

    components: dict[str, Any] = {ERROR: _error_schema()}
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    apis = [s for s in steps if isinstance(s.config, ApiStep)]
    for step in sorted(apis, key=lambda s: (s.config.path, s.config.method)):  # type: ignore[union-attr]
        config = step.config
        assert isinstance(config, ApiStep)
        path, operation = _operation(step.name, config, components, validated)
        paths.setdefault(path, {})[config.method.lower()] = operation
        tags.update(dict.fromkeys(config.flows))
    return {
        "openapi": OPENAPI,
        "info": {"title": title, "version": version},
        "tags": [{"name": t} for t in sorted(tags)],
        "paths": paths,
        "components": {"schemas": components},
    }


def openapi_path(path: str) -> tuple[str, list[str]]:
    """``/orders/:id`` -> (``/orders/{id}``, [``id``])."""
    from stephost_host.router.routes import split_path

    names: list[str] = []
    parts = []
    for segment in split_path(path):
        if segment.startswith(":"):  # the router's rule for a parameter segment
            names.append(segment[1:])
            parts.append("{" + segment[1:] + "}")
        else:
            parts.append(segment)
    return "/" + "/".join(parts), names


def _operation(
    name: str, config: ApiStep, components: dict[str, Any], validated: bool
) -> tuple[str, dict[str, Any]]:
    path, path_names = openapi_path(config.path)
    parameters: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in path_names
    ]
    for q in config.queryParams:
        param: dict[str, Any] = {
            "name": q.name,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
        }
        if q.description:
            param["description"] = q.description
        parameters.append(param)
    operation: dict[str, Any] = {"operationId": name, "tags": list(config.flows)}
    if config.description:
        operation["summary"] = config.description
        operation["description"] = config.description
    if parameters:
        operation["parameters"] = parameters
    if config.bodySchema is not None:
        ref = _component(components, f"{name}.body", config.bodySchema)
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref}}}
    operation["responses"] = _responses(name, config, components, validated)
    return path, operation


def _responses(name: str, config: ApiStep, components: dict[str, Any], validated: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, schema in sorted(_by_status(config.responseSchema).items()):
        ref = _component(components, f"{name}.response.{status}", schema)
        responses[status] = {
            "description": f"{status} from {name}",
            "content": {"application/json": {"schema": ref}},
        }
    if not responses:
        responses["default"] = {"description": f"what {name} answers (it declares no responseSchema)"}
    if validated and config.bodySchema is not None:
        responses.setdefault("400", _host_answer("The request body does not match the bodySchema"))
    for status, what in HOST_ANSWERS.items():
        responses.setdefault(status, _host_answer(what))
    return responses


def _by_status(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Motia's ``{200: schema, 404: schema}``; a bare schema is the 200 response."""
    if not schema:
        return {}
    if all(str(k).isdigit() for k in schema):
        return {str(k): v for k, v in schema.items()}
    return {"200": schema}


def _host_answer(description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{ERROR}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "An answer the host gives itself (not the step's handler)",
        "properties": {
            "error": {"type": "string"},
            "traceId": {"type": "string"},
            "path": {"type": "string", "description": "where the body leaves its schema (a JSON path)"},
            "reason": {"type": "string"},
            "errorId": {"type": "string"},
        },
        "required": ["error"],
    }


def _component(components: dict[str, Any], name: str, schema: Any) -> dict[str, str]:
    """Put ``schema`` into components under a safe ``name``; return the reference to it."""
    key = _COMPONENT_UNSAFE.sub("_", name)
    pointer = f"#/components/schemas/{key}"
    components[key] = _rebased(schema, pointer)
    return {"$ref": pointer}


def _rebased(value: Any, pointer: str) -> Any:
    """The schema with its document-local ``$ref``s (``#/...``) pointing under ``pointer``."""
    if isinstance(value, dict):
        out = {k: _rebased(v, pointer) for k, v in value.items()}
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = pointer + ref[1:]
        out.pop("$schema", None)  # the document's dialect (2020-12) applies inside it
        return out
    if isinstance(value, list):
        return [_rebased(v, pointer) for v in value]
    return value


# -- the command --------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    p = sub.add_parser("openapi", help="write an OpenAPI 3.1 document for the project's api steps")
    add_project_args(p)
    p.add_argument("-o", "--output", default="openapi.json", help="where to write it (`-`: stdout)")
    p.add_argument("--title", help="info.title (default: the project folder's name)")
    p.add_argument("--version", default="0.1.0", help="info.version (default 0.1.0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = project_of(args)
    loaded = load_project(project)
    if not report(loaded):
        return 1
    spec = build_spec(
        loaded.steps,
        title=args.title or loaded.settings.project.name,
        version=args.version,
        validated=loaded.settings.validate_schemas,
    )
    text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        count = sum(len(v) for v in spec["paths"].values())
        print(f"wrote {args.output}: {count} operation(s) from {len(loaded.steps)} step(s)", file=sys.stderr)
    return 0
