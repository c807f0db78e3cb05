"""Bundles (stephost_wire.bundle): deterministic archives, checked chunks, safe unpacking;
and the same archive read by every language's agent code."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from stephost_wire import bundle
from tests.harness import ROOT


def _tree(root: Path) -> Path:
    (root / "steps" / "deep").mkdir(parents=True)
    (root / "steps" / "a_step.py").write_text("x = 1\n")
    (root / "steps" / "deep" / ("n" * 120 + ".txt")).write_text("long name\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o775)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref\n")
    os.symlink("steps/a_step.py", root / "link.py")
    return root


def test_identical_content_gives_identical_bytes(tmp_path: Path) -> None:
    first = bundle.pack(_tree(tmp_path / "one"))
    second_root = _tree(tmp_path / "two")
    os.utime(second_root / "steps" / "a_step.py", (1, 1))  # another clock, same content
    (second_root / "steps" / "a_step.py").chmod(0o600)  # another umask
    assert bundle.pack(second_root) == first
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert ".git" not in members and ".git/HEAD" not in members  # never packed
    assert members["run.sh"].mode == 0o755 and members["steps/a_step.py"].mode == 0o644
    assert {(m.mtime, m.uid, m.gid, m.uname) for m in members.values()} == {(0, 0, 0, "")}
    assert members["link.py"].issym() and members["link.py"].linkname == "steps/a_step.py"


def test_chunks_reassemble_and_a_wrong_digest_is_refused() -> None:
    data = os.urandom(bundle.CHUNK_BYTES * 2 + 10)
    chunks = list(bundle.chunks(data))
    assert [len(c.data) for c in chunks] == [bundle.CHUNK_BYTES, bundle.CHUNK_BYTES, 10]
    assert [c.last for c in chunks] == [False, False, True] and chunks[-1].digest == bundle.digest(data)
    assembly = bundle.Assembly()
    assert [assembly.add(c) for c in chunks][-1] == data
    chunks[1].data = b"tampered"
    tampered = bundle.Assembly()
    with pytest.raises(bundle.BundleError, match=r"the bundle's digest is .*, the sender said"):
        for c in chunks:
            tampered.add(c)


def _archive(name: str, link: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        if link:
            info.type, info.linkname = tarfile.SYMTYPE, link
        tar.addfile(info, io.BytesIO(b""))
    return buf.getvalue()


@pytest.mark.parametrize("name,link", [("../escape.txt", ""), ("/etc/escape", ""), ("out", "../../etc")])
def test_a_member_escaping_the_destination_is_refused(tmp_path: Path, name: str, link: str) -> None:
    with pytest.raises(bundle.BundleError, match="cannot unpack the bundle"):
        bundle.unpack(_archive(name, link), tmp_path / "dest")
    assert not (tmp_path / "escape.txt").exists()


def test_every_language_reads_and_rebuilds_the_same_archive(tmp_path: Path) -> None:
    """Node and Ruby unpack what the host packs, and pack it back to what Python reads."""
    tree = _tree(tmp_path / "tree")
    data = bundle.pack(tree)
    (tmp_path / "in.tgz").write_bytes(data)
    node = (
        "const b = require(process.argv[1]); const fs = require('fs');"
        "b.unpack(fs.readFileSync(process.argv[2]), process.argv[3]);"
        "fs.writeFileSync(process.argv[4], b.pack(process.argv[3]))"
    )
    ruby = (
        "require ARGV[0]; require ARGV[1]; Stephost::Bundle.unpack(File.binread(ARGV[2]), ARGV[3]);"
        "File.binwrite(ARGV[4], Stephost::Bundle.pack(ARGV[3]))"
    )
    lib = ROOT / "sidecars" / "ruby" / "lib" / "stephost"
    runs = {
        "node": ["node", "-e", node, str(ROOT / "sidecars" / "node" / "src" / "bundle.js")],
        "ruby": ["ruby", "-e", ruby, str(lib / "proto.rb"), str(lib / "bundle.rb")],
    }
    for language, argv in runs.items():
        out = tmp_path / f"{language}.tgz"
        subprocess.run(
            [*argv, str(tmp_path / "in.tgz"), str(tmp_path / language), str(out)], check=True, timeout=60
        )
        back = tmp_path / f"{language}-back"
        bundle.unpack(out.read_bytes(), back)
        assert bundle.pack(back) == data, language
