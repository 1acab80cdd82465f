"""keysweep as a server's pre-receive hook, run by a real `git push` into a bare repository:
the pushed objects live in git's quarantine, and only what the push brings is scanned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import github_token
from tests.sources.test_git import Repo

# The documented recipe (docs/pre-receive.md), with this interpreter's keysweep.
_NEW_ONLY = f"""#!/bin/sh
exec "{sys.executable}" -m scanner git --pre-receive .
"""

# The same with an explicit range per updated ref (the recipe's second form).
_RANGES = f"""#!/bin/sh
zero=$(git hash-object --stdin </dev/null | tr '[0-9a-f]' '0')
status=0
while read old new ref; do
  [ "$new" = "$zero" ] && continue
  [ "$old" = "$zero" ] && continue
  "{sys.executable}" -m scanner git --range "$old..$new" . || status=1
done
exit $status
"""


class Server:
    def __init__(self, tmp_path: Path, hook: str) -> None:
        self.path = tmp_path / "server.git"
        subprocess.run(["git", "init", "-q", "--bare", str(self.path)], check=True)
        self.hook = self.path / "hooks" / "pre-receive"
        self.hook_text = hook
        self.enable()

    def enable(self) -> None:
        self.hook.write_text(self.hook_text)
        self.hook.chmod(0o755)

    def disable(self) -> None:
        self.hook.unlink()

    def ref(self, name: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(self.path), "rev-parse", "--verify", "-q", name], capture_output=True, text=True
        )
        return proc.stdout.strip()


def _push(repo: Repo, *refspecs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo.path), "push", "-q", "origin", *refspecs],
        capture_output=True,
        text=True,
        env=repo.env,
    )


@pytest.fixture(params=[_NEW_ONLY, _RANGES], ids=["pre-receive", "range"])
def pushed(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Repo, Server]:
    server = Server(tmp_path, request.param)
    repo = Repo(tmp_path / "work")
    repo.path.mkdir()
    repo.git("init", "-q")
    repo.git("remote", "add", "origin", str(server.path))
    repo.write("README.md", "hello\n")
    repo.commit("init")
    assert _push(repo, "main").returncode == 0
    return repo, server


def test_a_clean_push_is_accepted(pushed: tuple[Repo, Server]) -> None:
    repo, server = pushed
    repo.write("app.py", "print('hi')\n")
    tip = repo.commit("clean")
    result = _push(repo, "main")
    assert result.returncode == 0, result.stderr
    assert server.ref("main") == tip


def test_a_push_adding_a_secret_is_refused_even_if_a_later_commit_removes_it(pushed: tuple[Repo, Server]) -> None:
    repo, server = pushed
    before = server.ref("main")
    token = github_token("pushed")
    repo.write("conf.py", f"TOKEN = '{token}'\n")
    repo.commit("leak")
    repo.write("conf.py", "TOKEN = None\n")
    repo.commit("remove it again")
    result = _push(repo, "main")
    assert result.returncode != 0
    assert "github.classic-pat" in result.stderr and "conf.py" in result.stderr
    assert token not in result.stderr  # what the pusher sees is redacted
    assert server.ref("main") == before
    # The quarantined objects were thrown away with the push.
    assert subprocess.run(["git", "-C", str(server.path), "cat-file", "-e", repo.git("rev-parse", "HEAD")]).returncode


def test_deleting_a_branch_is_accepted(pushed: tuple[Repo, Server]) -> None:
    repo, server = pushed
    repo.git("branch", "topic")
    assert _push(repo, "topic").returncode == 0
    result = _push(repo, ":topic")
    assert result.returncode == 0, result.stderr
    assert server.ref("topic") == ""


def test_a_new_branch_is_scanned_for_what_it_brings_only(tmp_path: Path) -> None:
    """History the server already holds is not the pusher's to answer for: a clean new
    branch on top of it passes; a new branch adding a secret does not."""
    server = Server(tmp_path, _NEW_ONLY)
    repo = Repo(tmp_path / "work")
    repo.path.mkdir()
    repo.git("init", "-q")
    repo.git("remote", "add", "origin", str(server.path))
    repo.write("old.py", f"OLD = '{github_token('already-there')}'\n")
    repo.commit("an old leak the server already has")
    server.disable()
    assert _push(repo, "main").returncode == 0
    server.enable()
    repo.git("checkout", "-q", "-b", "clean-topic")
    repo.write("x.py", "x = 1\n")
    repo.commit("clean work")
    result = _push(repo, "clean-topic")
    assert result.returncode == 0, result.stderr
    repo.git("checkout", "-q", "-b", "leaky-topic")
    repo.write("y.py", f"Y = '{github_token('new-branch')}'\n")
    repo.commit("leak on a new branch")
    result = _push(repo, "leaky-topic")
    assert result.returncode != 0 and "y.py" in result.stderr and "old.py" not in result.stderr


@pytest.mark.parametrize("line", ["not three fields", "abc def refs/heads/main"])
def test_bad_pre_receive_input_is_one_line(tmp_path: Path, line: str) -> None:
    repo = Repo(tmp_path / "r")
    repo.path.mkdir()
    repo.git("init", "-q")
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", "git", "--pre-receive", str(repo.path)],
        input=line + "\n",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "pre-receive input line 1" in proc.stderr
