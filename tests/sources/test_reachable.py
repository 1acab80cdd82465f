"""Everything reachable, nothing else: objects refs reach in the less common ways, and
histories whose replace refs, grafts or config try to hide a commit."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import Result, github_token
from tests.sources.test_git import Repo, blobs, history, holding, repo, skipped

__all__ = ["repo"]  # the fixture

Cli = Callable[..., Result]


def _hash_object(repo: Repo, text: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo.path), "hash-object", "-w", "--stdin"],
        input=text.encode(),
        capture_output=True,
        env=repo.env,
        check=True,
    )
    return proc.stdout.decode().strip()


def test_tags_pointing_at_a_blob_or_a_tree_are_scanned(repo: Repo) -> None:
    repo.write("a.txt", "on main\n")
    repo.commit("main")
    blob = _hash_object(repo, "tagged blob only\n")
    repo.git("tag", "blob-tag", blob)
    repo.git("tag", "-a", "-m", "annotated", "annotated-blob-tag", _hash_object(repo, "annotated blob\n"))
    # A tree no commit holds: build it in a throwaway index.
    index = {"GIT_INDEX_FILE": str(repo.path / ".git" / "other-index")}
    repo.write("dir/in-tree.txt", "tree only\n")
    repo.git("add", "dir/in-tree.txt", env=index)
    tree = repo.git("write-tree", env=index)
    os.remove(repo.path / "dir" / "in-tree.txt")
    repo.git("tag", "tree-tag", tree)
    items = history(repo)
    for text in ("on main", "tagged blob only", "annotated blob", "tree only"):
        assert holding(items, text), text
    (in_tree,) = holding(items, "tree only")
    assert in_tree.provenance[0].path == "refs/tags/tree-tag:dir/in-tree.txt"
    (tagged,) = holding(items, "tagged blob only")
    assert tagged.provenance[0].path == "refs/tags/blob-tag"


def test_tag_to_a_blob_finding_names_the_tag(cli: Cli, repo: Repo) -> None:
    repo.write("a.txt", "hello\n")
    repo.commit("main")
    token = github_token("tagged")
    repo.git("tag", "leak", _hash_object(repo, f"TOKEN={token}\n"))
    result = cli(["git", str(repo.path), "--format", "json"])
    assert result.code == 1, result.err
    (finding,) = json.loads(result.out)
    assert (finding["file"], finding["commit"]) == ("refs/tags/leak", "")


def test_replaced_and_grafted_commits_do_not_hide_the_real_ones(repo: Repo) -> None:
    token = github_token("replaced")
    repo.write("a.txt", "first\n")
    first = repo.commit("first")
    repo.write("s.txt", f"{token}\n")
    leaky = repo.commit("leak")
    repo.write("s.txt", "clean\n")
    repo.commit("clean up")
    # A replacement for the leaky commit that adds nothing, and a graft that cuts it out.
    repo.git("checkout", "-q", "--detach", first)
    repo.write("s.txt", "clean\n")
    decoy = repo.commit("decoy")
    repo.git("checkout", "-q", "main")
    repo.git("replace", leaky, decoy)
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "grafts").write_text(f"{repo.git('rev-parse', 'HEAD')} {first}\n")
    (blob,) = holding(history(repo, refs=["main"]), token)
    assert blob.provenance[0].commit == leaky


def test_root_commits_whatever_the_users_log_show_root_says(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = github_token("root")
    repo.write("s.txt", f"{token}\n")
    root = repo.commit("root")
    repo.write("t.txt", "later\n")
    repo.commit("later")
    config = tmp_path / "gitconfig"
    config.write_text("[log]\n\tshowRoot = false\n[diff]\n\tnoprefix = true\n\trenames = copies\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))
    (blob,) = holding(history(repo), token)
    assert blob.provenance[0].commit == root and blob.provenance[0].path == "s.txt"


def test_every_stash_entry_in_a_sha256_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "--object-format=sha256")
    repo.write("a.txt", "base\n")
    repo.commit("base")
    for text in ("older stash", "newer stash"):
        repo.write("a.txt", f"{text}\n")
        repo.git("stash", "-q")
    items = history(repo)
    for text in ("older stash", "newer stash"):
        assert holding(items, text), text


def test_an_unreachable_blob_is_neither_read_nor_warned_about(repo: Repo) -> None:
    repo.write("a.txt", "kept\n")
    repo.commit("kept")
    dangling = _hash_object(repo, "dangling secret\n")
    repo.git("repack", "-adq", "--keep-unreachable")
    # A second dangling object, loose and corrupt: nothing reaches it, nothing may say so.
    broken = _hash_object(repo, "broken and unreachable\n")
    loose = repo.path / ".git" / "objects" / broken[:2] / broken[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib")
    items = history(repo)
    assert [b.data for b in blobs(items)] == [b"kept\n"]
    assert not skipped(items)
    assert dangling


def test_an_unreachable_corrupt_object_is_not_warned_about_by_the_cli(cli: Cli, repo: Repo) -> None:
    repo.write("a.txt", "kept\n")
    repo.commit("kept")
    broken = _hash_object(repo, "broken and unreachable\n")
    loose = repo.path / ".git" / "objects" / broken[:2] / broken[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib")
    result = cli(["git", str(repo.path)])
    assert result.code == 0, result.err
    assert "warning" not in result.err and broken not in result.err
