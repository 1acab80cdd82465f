"""scanner.engine.cache: JSON entries keyed by their inputs; a bad cache only costs a rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine import cache


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(tmp_path / "c"))
    return tmp_path / "c"


def test_an_entry_is_built_once_per_inputs(where: Path) -> None:
    calls: list[int] = []

    def build() -> dict:
        calls.append(1)
        return {"n": len(calls)}

    assert cache.load_json("pack", ["a"], build) == {"n": 1}
    assert cache.load_json("pack", ["a"], build) == {"n": 1}
    assert cache.load_json("pack", ["b"], build) == {"n": 2}, "other inputs, another entry"
    assert len(calls) == 2


def test_a_corrupt_entry_is_rebuilt(where: Path) -> None:
    cache.load_json("pack", ["x"], lambda: [1])
    (entry,) = where.glob("pack-*.json")
    entry.write_bytes(b"{not json")
    assert cache.load_json("pack", ["x"], lambda: [2]) == [2]


def test_an_unwritable_cache_still_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(blocker / "c"))
    assert cache.load_json("pack", ["y"], lambda: {"ok": True}) == {"ok": True}


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYSWEEP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "keysweep"
