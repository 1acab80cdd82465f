"""The commit a history finding names: the one that added the secret, in history order.

Each repository here has a secret that one commit adds and a later commit carries on in
another blob (an edit of another line of the same file). Author dates say nothing of
history order (a rebase keeps them, a cherry-pick copies them, clocks are wrong, two
commits share a second), so a finding must name the commit that history puts first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import git_env, github_token

_LINES = [f"setting_{n} = {n}\n" for n in range(1, 11)]


class _Repo:
    """A repository built with the git CLI; every commit's author and committer dates are
    given, so that they can disagree with history."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = git_env("Test Author", "author@example.invalid")
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env | (env or {}), capture_output=True, check=False
        )
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode().strip()

    def write(self, lines: list[str], name: str = "config.py") -> None:
        (self.path / name).write_text("".join(lines))

    def commit(self, message: str, authored: str, committed: str | None = None) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, env=_dates(authored, committed))
        return self.git("rev-parse", "HEAD")


def _dates(authored: str, committed: str | None = None) -> dict[str, str]:
    return {"GIT_AUTHOR_DATE": authored, "GIT_COMMITTER_DATE": committed or authored}


def _day(n: int) -> str:
    return f"2022-05-{n:02d}T10:00:00+00:00"


def _with_secret(token: str, at: int = 5) -> list[str]:
    """The ten lines with `token` inserted after line `at`: the secret is line at + 1."""
    return [*_LINES[:at], f"TOKEN = '{token}'\n", *_LINES[at:]]


def _finding(cli, repo: _Repo, token: str) -> dict:
    result = cli(["git", str(repo.path), "--format", "json", "--no-redact"])
    assert result.code == 1, result.err
    found = [f for f in json.loads(result.out) if f["secret"] == token]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def repo(tmp_path: Path) -> _Repo:
    path = tmp_path / "repo"
    path.mkdir()
    made = _Repo(path)
    made.write(_LINES)
    made.commit("base", _day(1))
    return made


def test_a_child_authored_before_its_parent_is_not_named(cli, repo: _Repo) -> None:
    # A clock set wrong, or `commit --date`: the child that edits another line has the
    # older author (and committer) date; it still came after the commit that added it.
    token = github_token("older-child")
    repo.write(_with_secret(token))
    added = repo.commit("add the token", _day(20))
    repo.write(_with_secret(token)[1:])
    repo.commit("drop the first line", _day(10))
    found = _finding(cli, repo, token)
    assert (found["commit"], found["line"]) == (added, 6)
    assert found["date"] == _day(20)


def test_two_commits_in_the_same_second(cli, repo: _Repo) -> None:
    token = github_token("same-second")
    repo.write(_with_secret(token))
    added = repo.commit("add the token", _day(2))
    repo.write(_with_secret(token)[2:])  # two lines above it go: it moves to line 4
    repo.commit("drop two lines", _day(2))
    found = _finding(cli, repo, token)
    assert (found["commit"], found["line"]) == (added, 6)


def test_after_a_rebase_onto_the_commit_that_added_it(cli, repo: _Repo) -> None:
    # A topic branch written early (an edit of another line) is rebased onto main, where
    # the token was added later: the rebased commit keeps its early author date.
    token = github_token("rebase")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write(["# topic\n", *_LINES[1:]])
    repo.commit("topic: rewrite the first line", _day(3))
    repo.git("checkout", "-q", "main")
    repo.write(_with_secret(token))
    added = repo.commit("add the token", _day(9))
    repo.git("checkout", "-q", "topic")
    repo.git("rebase", "-q", "main", env={"GIT_COMMITTER_DATE": _day(12)})
    repo.git("branch", "-q", "-D", "main")  # only the rebased history is left
    assert "# topic" in (repo.path / "config.py").read_text()
    found = _finding(cli, repo, token)
    assert (found["commit"], found["line"]) == (added, 6)


def test_after_an_interactive_rebase_swaps_two_commits(cli, repo: _Repo, tmp_path: Path) -> None:
    token = github_token("rebase-i")
    repo.write(["# first line edited\n", *_LINES[1:]])
    repo.commit("edit the first line", _day(3))
    repo.write(["# first line edited\n", *_with_secret(token)[1:]])
    repo.commit("add the token", _day(4))
    # The todo list reversed: the token's commit first, the edit replayed onto it.
    swap = tmp_path / "swap.py"
    swap.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "lines = open(path).read().splitlines(True)\n"
        "picks = [line for line in lines if line.startswith('pick ')]\n"
        "open(path, 'w').write(''.join(picks[::-1]))\n"
    )
    repo.git(
        "rebase",
        "-q",
        "-i",
        "HEAD~2",
        env={"GIT_SEQUENCE_EDITOR": f"{sys.executable} {swap}", "GIT_COMMITTER_DATE": _day(5)},
    )
    added = repo.git("rev-parse", "HEAD~1")
    assert repo.git("log", "-1", "--format=%s", added) == "add the token"
    found = _finding(cli, repo, token)
    assert (found["commit"], found["line"]) == (added, 6)


def test_a_cherry_pick_does_not_take_it_from_the_original(cli, repo: _Repo) -> None:
    # Both copies are reachable and share an author date; on main, where two lines above it
    # were dropped, the token sits higher up: the original still came first.
    token = github_token("cherry-pick")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(_with_secret(token, at=8))
    original = repo.commit("add the token", _day(2))
    repo.git("checkout", "-q", "main")
    repo.write(_LINES[2:])
    repo.commit("drop two lines", _day(3))
    repo.git("cherry-pick", original, env={"GIT_COMMITTER_DATE": _day(4)})
    picked = repo.git("rev-parse", "HEAD")
    assert picked != original and token in (repo.path / "config.py").read_text()
    found = _finding(cli, repo, token)
    assert (found["commit"], found["line"]) == (original, 9)


def test_a_merge_dated_before_the_commit_that_added_it(cli, repo: _Repo) -> None:
    # The merge (made on a machine with its clock behind) is the first commit where the
    # token's file also has the other branch's edit: the token still came from main.
    token = github_token("merge")
    repo.git("checkout", "-q", "-b", "side")
    repo.write([*_LINES[:9], "setting_10 = 'side'\n"])
    repo.commit("side: change the last line", _day(2))
    repo.git("checkout", "-q", "main")
    repo.write(_with_secret(token))
    added = repo.commit("add the token", _day(8))
    repo.git("merge", "-q", "--no-edit", "side", env=_dates(_day(4)))
    assert "'side'" in (repo.path / "config.py").read_text()
    found = _finding(cli, repo, token)
    assert (found["commit"], found["line"]) == (added, 6)
