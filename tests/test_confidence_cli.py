"""`--min-confidence`: what each command reports by default, what the exit code, the summary,
the webhooks and the datastore see, and that fingerprints do not depend on confidence."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from scanner.datastore import _MIGRATIONS, SCHEMA_VERSION, Datastore
from tests.helpers import git, github_token, random_chars


def _broken_token(seed: str) -> str:
    """A `ghp_` token whose CRC32 fails: reported at low confidence."""
    token = github_token(seed)
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _strong_password(seed: str) -> str:
    return "Cactus$" + random_chars(seed, 8) + "71"


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A file with one finding of each confidence."""
    path = tmp_path / "app.env"
    path.write_text(
        f"GITHUB_TOKEN={github_token('cli-high')}\n"
        f"DB_PASSWORD={_strong_password('cli-medium')}\n"
        f"LEGACY_TOKEN={_broken_token('cli-low')}\n"
    )
    return path


def _records(out: str) -> list[dict]:
    return json.loads(out)


def test_dir_reports_every_confidence_by_default(cli, mixed: Path) -> None:
    result = cli(["dir", str(mixed), "--format", "json", "--no-progress"])
    assert result.code == 1
    assert sorted(r["confidence"] for r in _records(result.out)) == ["high", "low", "medium"]


@pytest.mark.parametrize(("threshold", "kept"), [("medium", ["high", "medium"]), ("high", ["high"])])
def test_min_confidence_drops_what_is_below_and_says_so(cli, mixed: Path, threshold: str, kept: list[str]) -> None:
    result = cli(["dir", str(mixed), "--format", "json", "--no-progress", "--min-confidence", threshold])
    assert sorted(r["confidence"] for r in _records(result.out)) == kept
    below = 3 - len(kept)
    assert f"{below} below {threshold} confidence" in result.err


def test_findings_below_the_threshold_fail_nothing_and_call_no_webhook(cli, tmp_path: Path) -> None:
    path = tmp_path / "old.env"
    path.write_text(f"LEGACY_TOKEN={_broken_token('only-low')}\n")
    # Nothing listens on this port: a delivery would be journalled and reported on stderr.
    result = cli(
        ["dir", str(path), "--no-progress", "--min-confidence", "medium", "--webhook", "http://127.0.0.1:9/hook"]
    )
    assert result.code == 0
    assert "webhook" not in result.err and "1 below medium confidence" in result.err


def test_fingerprints_do_not_depend_on_confidence(cli, mixed: Path, tmp_path: Path) -> None:
    low = _records(cli(["dir", str(mixed), "--format", "json", "--no-progress"]).out)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(low))
    again = cli(["dir", str(mixed), "--no-progress", "--baseline", str(baseline), "--min-confidence", "high"])
    assert again.code == 0 and "in baseline" in again.err


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    return repo


def test_the_pre_commit_hook_gates_at_medium(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "old.env").write_text(
        f"LEGACY_TOKEN={_broken_token('staged')}\nDB_PASSWORD=Gx7#{random_chars('short', 2)}\n"
    )
    git(repo, "add", "-A")
    gated = cli(["staged", str(repo), "--no-progress"])
    assert gated.code == 0 and "2 below medium confidence" in gated.err
    audit = cli(["staged", str(repo), "--no-progress", "--min-confidence", "low"])
    assert audit.code == 1


def test_history_audits_at_low_and_ranges_gate_at_medium(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "old.env").write_text(f"LEGACY_TOKEN={_broken_token('history')}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add")
    assert cli(["git", str(repo), "--no-progress"]).code == 1
    ranged = cli(["git", str(repo), "--no-progress", "--range", "HEAD~1..HEAD"])
    assert ranged.code == 0 and "1 below medium confidence" in ranged.err


def test_the_datastore_keeps_every_confidence_and_report_filters(cli, mixed: Path, tmp_path: Path) -> None:
    store = tmp_path / "audit.sqlite"
    cli(["dir", str(mixed), "--no-progress", "--datastore", str(store), "--min-confidence", "high"])
    everything = cli(["report", "--datastore", str(store), "--format", "json"])
    assert sorted(r["confidence"] for r in _records(everything.out)) == ["high", "low", "medium"]
    medium = cli(["report", "--datastore", str(store), "--format", "json", "--min-confidence", "medium"])
    assert sorted(r["confidence"] for r in _records(medium.out)) == ["high", "medium"]


def test_a_version_1_datastore_gains_a_confidence_column(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(_MIGRATIONS[0])
        db.execute("INSERT INTO scans VALUES (1, 't', 'dir', 's', 'f', 'p', 'v', 0, 0, 0, 0.0, '')")
        db.execute("INSERT INTO findings VALUES ('fp', 'generic.password', 'd', 'h', 'p', NULL, 3.0, 1, 1)")
        db.execute("PRAGMA user_version = 1")
    Datastore.open(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert db.execute("SELECT confidence FROM findings").fetchall() == [("medium",)]
