"""The datastore file itself: schema versions, concurrent scans, damaged files, and the
incremental re-scan over packs and workers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.datastore import SCHEMA_VERSION, Datastore
from scanner.errors import ConfigError
from tests.helpers import git, github_token, run_cli, run_subprocess


def _history(tmp_path: Path, commits: int = 20) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for n in range(commits):
        (repo / f"m{n % 5}.py").write_text("".join(f"LINE_{i} = {i * n}\n" for i in range(40 + n)))
        if n in (3, 11):
            (repo / f"k{n}.env").write_text(f"TOKEN={github_token(n)}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"c{n}")
    return repo


def test_a_new_datastore_has_the_current_schema(tmp_path: Path) -> None:
    store = Datastore.open(tmp_path / "a.sqlite")
    store.close()
    with sqlite3.connect(tmp_path / "a.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_datastore_from_a_newer_keysweep_is_refused(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "future.sqlite"
    Datastore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="has schema"):
        Datastore.open(path)
    result = run_cli(["report", "--datastore", str(path)], capsys=capsys, monkeypatch=monkeypatch)
    assert result.code == 2 and "this keysweep reads up to" in result.err


def test_a_damaged_datastore_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "bad.sqlite"
    path.write_bytes(b"this is not a database, " * 100)
    repo = _history(tmp_path, 2)
    result = run_cli(
        ["git", str(repo), "--datastore", str(path), "--no-progress"], capsys=capsys, monkeypatch=monkeypatch
    )
    assert result.code == 2 and "cannot use datastore" in result.err and "Traceback" not in result.err


def test_concurrent_scans_share_one_datastore(tmp_path: Path) -> None:
    repo = _history(tmp_path)
    store = tmp_path / "shared.sqlite"
    args = [sys.executable, "-m", "scanner", "git", str(repo), "--datastore", str(store), "--no-progress"]
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env) for _ in range(3)]
    errors = [proc.communicate(timeout=120)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [1, 1, 1], errors
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 3
        assert db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 2


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("packed", [False, True])
def test_incremental_rescan_equals_a_full_scan_over_packs_and_workers(tmp_path: Path, jobs: str, packed: bool) -> None:
    """The second scan reuses the first's clean blobs whether the pack walk or cat-file
    reads them, in this process or in workers; its report is the full scan's."""
    repo = _history(tmp_path)
    store = tmp_path / "inc.sqlite"
    common = ["git", str(repo), "--format", "json", "--no-redact", "--no-progress", "-j", jobs]
    run_subprocess([*common, "--datastore", str(store)])
    late = github_token("late")
    (repo / "m1.py").write_text(f"CHANGED = 1\nTOKEN = '{late}'\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "late")
    if packed:
        git(repo, "gc", "-q", "--aggressive")
    second = run_subprocess([*common, "--datastore", str(store)])
    full = run_subprocess(common)
    strip = [{k: v for k, v in f.items() if k != "audit"} for f in json.loads(second.out)]
    assert strip == json.loads(full.out) and len(strip) == 3
    assert "matched before" in second.err
    assert second.err.split("(")[1].split(" blobs")[0] == full.err.split("(")[1].split(" blobs")[0]


def test_changed_rules_match_everything_again(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _history(tmp_path, 6)
    store = tmp_path / "rules.sqlite"
    args = ["git", str(repo), "--datastore", str(store), "--no-progress"]
    run_cli(args, capsys=capsys, monkeypatch=monkeypatch)
    config = tmp_path / "extra.toml"
    config.write_text(
        '[[rules]]\nid = "custom.line"\ndescription = "x"\n'
        "pattern = '''LINE_39 = (?P<secret>[0-9]{3})'''\nkeywords = [\"LINE_39\"]\nfilters = false\n"
    )
    again = run_cli([*args, "--config", str(config)], capsys=capsys, monkeypatch=monkeypatch)
    assert "matched before" not in again.err  # another pack hash: nothing reused
    assert "custom.line" in again.out
