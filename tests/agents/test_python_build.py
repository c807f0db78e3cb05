"""The Python build's requirements: installed into the bundle's .deps (importable by the
worker), and refused when they would shadow what the sidecar itself runs on (grpcio)."""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from pathlib import Path
from typing import Any

import httpx

from stephost_host.agents import wait_ready
from stephost_host.app import Host
from stephost_wire import bundle
from tests.agents.conftest import PROJECTS
from tests.harness import until


def _wheel(folder: Path, dist: str, files: dict[str, str]) -> str:
    """A minimal pure-Python wheel (a local file: pip needs no index for it); its name."""
    name = f"{dist}-1.0-py3-none-any.whl"
    info = f"{dist}-1.0.dist-info"
    files = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / name, "w") as whl:
        for path, text in {**files, f"{info}/RECORD": "\n".join(record) + "\n"}.items():
            whl.writestr(path, text)
    return name


def _project(tmp_path: Path, dist: str, files: dict[str, str]) -> bytes:
    tree = tmp_path / f"source-{dist}"
    shutil.copytree(PROJECTS / "python" / "deps", tree)
    wheel = _wheel(tree / "wheels", dist, files)
    (tree / "requirements.txt").write_text(f"./wheels/{wheel}\n")
    return bundle.pack(tree)


async def test_requirements_are_installed_into_the_bundle(host: Host, agents: Any, tmp_path: Path) -> None:
    agents("python", host)
    await until(lambda: host.agents.count("python"), what="the python agent")
    lines: list[str] = []
    source = _project(tmp_path, "tinydep", {"tinydep/__init__.py": 'SAYS = "hi from a wheel"\n'})
    outcome = await host.agents.build("python", "v1", source, {}, on_log=lines.append)
    assert outcome.ok, outcome.error + "\n" + "\n".join(lines)
    assert any("pip install" in line and "--target .deps" in line for line in lines)
    built = tmp_path / "built"
    bundle.unpack(outcome.bundle, built)
    assert (built / ".deps" / "tinydep" / "__init__.py").is_file()

    await host.agents.start("python", "v1", outcome.bundle, outcome.digest, {})
    await wait_ready(host.registry, "v1", ["python"], 60, agents=host.agents)
    host.registry.activate("v1")
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.get(f"http://127.0.0.1:{host.http.port}/agent/dep")
    assert r.status_code == 200 and r.json() == {"said": "hi from a wheel"}


async def test_a_requirement_shadowing_grpc_fails_the_build(host: Host, agents: Any, tmp_path: Path) -> None:
    agents("python", host)
    await until(lambda: host.agents.count("python"), what="the python agent")
    source = _project(tmp_path, "notgrpc", {"grpc/__init__.py": "BROKEN = True\n"})
    outcome = await host.agents.build("python", "v1", source, {})
    assert not outcome.ok and outcome.file == "requirements.txt"
    assert outcome.error.startswith(
        "requirements.txt: installs grpcio, which the Python sidecar provides itself"
    )
