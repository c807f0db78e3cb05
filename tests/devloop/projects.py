"""Step files the dev-loop tests write into throwaway projects: each language's api step
answering with the process environment variables it is asked about."""

from __future__ import annotations

from pathlib import Path

ENV_PY = """
import os

config = {"name": "env-py", "type": "api", "path": "/env/py", "method": "GET", "emits": []}


async def handler(req, ctx):
    names = req["queryParams"]["names"].split(",")
    return {"status": 200, "body": {n: os.environ.get(n) for n in names}}
"""
ENV_TS = """
export const config = { name: 'env-ts', type: 'api', path: '/env/ts', method: 'GET', emits: [] }

export const handler = async (req: any) => {
  const names: string[] = req.queryParams.names.split(',')
  return { status: 200, body: Object.fromEntries(names.map((n) => [n, process.env[n] ?? null])) }
}
"""
ENV_RB = """
def config
  { "name" => "env-rb", "type" => "api", "path" => "/env/rb", "method" => "GET", "emits" => [] }
end

def handler(req, ctx)
  names = req["queryParams"]["names"].split(",")
  { "status" => 200, "body" => names.to_h { |n| [n, ENV[n]] } }
end
"""
ENV_STEPS = {"env_py_step.py": ENV_PY, "env-ts.step.ts": ENV_TS, "env_rb_step.rb": ENV_RB}
LANGS = ("py", "ts", "rb")


def write_project(root: Path, steps: dict[str, str], files: dict[str, str] | None = None) -> Path:
    """A project at ``root`` with ``steps`` under steps/ and ``files`` at its root."""
    (root / "steps").mkdir(parents=True)
    for name, source in steps.items():
        (root / "steps" / name).write_text(source)
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return root
