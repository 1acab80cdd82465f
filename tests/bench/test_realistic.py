"""The rails-shaped history generator makes the documented shape (no speed assertions)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import import_bench


@pytest.fixture(scope="module")
def modules() -> tuple[object, ...]:
    return import_bench("gen_realistic", "bench_realistic")


def _head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True).stdout


def test_tiny_history_has_the_shape(tmp_path: Path, modules: tuple) -> None:
    gen, _ = modules
    size = gen.Size(2 * 2**20, 30)
    shape = gen.generate(tmp_path / "a", size, seed=3, repack=False)
    assert 1.5 <= shape.blobs_per_commit <= 3.0
    assert 8_000 <= shape.mean_blob <= 40_000
    assert shape.blob_bytes >= 2 * 2**20
    assert shape.files_at_head >= 30
    assert shape.merges >= 1 and shape.branches >= 2
    assert shape.planted == 3
    log = subprocess.run(
        ["git", "-C", str(tmp_path / "a"), "log", "--all", "-p"], capture_output=True, check=True
    ).stdout
    assert log.count(b"+  config.api_key = ") == 3 and log.count(b"-  config.api_key = ") >= 1
    again = gen.generate(tmp_path / "b", size, seed=3, repack=False)
    assert again == shape.__class__(**{**shape.__dict__, "seconds": again.seconds})
    assert _head(tmp_path / "a") == _head(tmp_path / "b")


def test_find_binary_takes_the_wheels_executable_not_its_script(tmp_path: Path, modules: tuple) -> None:
    _, bench = modules
    script = tmp_path / "bin" / "tool"
    real = tmp_path / "lib" / "pkg" / "bin" / "tool"
    for path, head in ((script, b"#!/usr/bin/env python\n"), (real, b"\x7fELF\x02\x01")):
        path.parent.mkdir(parents=True)
        path.write_bytes(head)
        path.chmod(0o755)
    assert bench.find_binary(tmp_path, "tool") == real
    assert bench.find_binary(tmp_path, "other") is None


def test_the_ruby_corpus_is_ruby_source_when_installed(modules: tuple) -> None:
    gen, _ = modules
    files = gen._ruby_files()
    if sum(p.stat().st_size for p in files[:400] if p.is_file()) < 2**20:
        pytest.skip("no Ruby source on this machine (apt-get install ruby-railties)")
    assert all(p.suffix in gen._RUBY_SUFFIXES for p in files)
    corpus = gen.load_corpus(limit=2**20, corpus="ruby")
    assert len(corpus) >= 2**20 and b"\ndef " in corpus and b"\nend\n" in corpus
