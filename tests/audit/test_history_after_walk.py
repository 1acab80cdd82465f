"""What a history scan works out after the walk from its own log, not from git again: where
a finding was removed is what the ref's own `git log` says (on a history with merges, a
branch that is never merged, a secret removed twice, and a merge that drops one itself),
and a path-only rule sees every path a blob was added at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.sources.git import HistorySource
from scanner.sources.git import standing as standing_module
from tests.helpers import git, github_token, run_cli


def _commit(repo: Path, message: str, **files: str | None) -> str:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository whose secrets leave in every way a history allows; the commits that
    remove them, by name."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    tokens = {name: github_token(f"standing-{name}") for name in ("a", "b", "c", "d", "e", "f")}
    at: dict[str, str] = {}
    _commit(repo, "add", **{f"{name}.env": f"T={token}\n" for name, token in tokens.items()})
    git(repo, "checkout", "-q", "-b", "feature")
    at["a"] = _commit(repo, "feature edits a", **{"a.env": "T=\n"})
    at["b"] = _commit(repo, "feature deletes b", **{"b.env": None})
    git(repo, "checkout", "-q", "main")
    at["c"] = _commit(repo, "main deletes c", **{"c.env": None})
    _commit(repo, "d back", **{"d.env": "T=\n"})
    _commit(repo, "d again", **{"d.env": f"T={tokens['d']}\n"})
    at["d"] = _commit(repo, "d out for good", **{"d.env": "T=\n"})
    git(repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    # A merge that drops a secret itself: its log shows no change, so a side commit must.
    git(repo, "checkout", "-q", "-b", "other", "HEAD~1")
    _commit(repo, "other touches e", **{"e.env": f"T={tokens['e']}\nX=1\n"})
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-commit", "--no-ff", "other")
    (repo / "e.env").write_text("T=\nX=1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "merge other, dropping e")
    # A branch that is never merged removes f: f is still at main.
    git(repo, "checkout", "-q", "-b", "unmerged")
    _commit(repo, "unmerged deletes f", **{"f.env": None})
    git(repo, "checkout", "-q", "main")
    return repo, at


def _standing(args: list[str], capsys, monkeypatch) -> dict[str, tuple[bool, str | None]]:
    result = run_cli(["git", *args, "--format", "json", "--no-progress"], capsys=capsys, monkeypatch=monkeypatch)
    assert result.code == 1, result.err
    return {f["file"]: (f["present_at_head"], f["removed_in"]) for f in json.loads(result.out)}


def test_removals_from_the_scans_log_are_the_refs_own(history, capsys, monkeypatch) -> None:
    repo, at = history
    asked: list[list[str]] = []
    listed = HistorySource.changes_at

    def changes_at(self, paths):
        found = listed(self, paths)
        asked.append(sorted(paths) if found is not None else [])
        return found

    monkeypatch.setattr(HistorySource, "changes_at", changes_at)
    from_scan = _standing([str(repo)], capsys, monkeypatch)
    assert asked and asked[0], "the scan's own log was not read"
    # The same question put to git: the ref's whole log, then limited to the files.
    monkeypatch.setattr(HistorySource, "changes_at", lambda self, paths: None)
    monkeypatch.setattr(standing_module, "_MAX_PATHSPECS", 0)
    from_git = _standing([str(repo)], capsys, monkeypatch)
    assert from_scan == from_git
    assert from_scan["a.env"] == (False, at["a"]) and from_scan["b.env"] == (False, at["b"])
    assert from_scan["c.env"] == (False, at["c"]) and from_scan["d.env"] == (False, at["d"])
    assert from_scan["f.env"] == (True, None)
    assert from_scan["e.env"][0] is False


def test_a_range_scan_asks_git_limited_to_the_files(history, capsys, monkeypatch) -> None:
    repo, at = history
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    # The range does not hold the ref's whole history: its log cannot answer.
    calls: list[object] = []
    limited = standing_module._ref_log
    monkeypatch.setattr(standing_module, "_ref_log", lambda *a: calls.append(a) or limited(*a))
    found = _standing([str(repo), "--since", first, "--min-confidence", "low"], capsys, monkeypatch)
    assert calls, "git was not asked"
    assert found["d.env"] == (False, at["d"])


def test_a_path_only_rule_finds_a_blob_at_its_second_path(tmp_path: Path, capsys, monkeypatch) -> None:
    """The history's places are asked only at the paths a path-only rule accepts: a blob first
    added elsewhere and then copied to `config/master.key` is found there, at that commit."""
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    key = "".join(f"{n:02x}" for n in range(16))  # a Rails master key is 32 hex digits
    _commit(repo, "notes", **{"notes.txt": key + "\n"})
    copied = _commit(repo, "copy", **{"config/master.key": key + "\n"})
    result = run_cli(
        ["git", str(repo), "--format", "json", "--no-progress", "--no-group"], capsys=capsys, monkeypatch=monkeypatch
    )
    found = [(f["file"], f["commit"]) for f in json.loads(result.out) if f["rule_id"].endswith("rails-master-key")]
    assert found == [("config/master.key", copied)], result.out
