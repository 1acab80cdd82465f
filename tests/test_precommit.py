"""The hooks in .pre-commit-hooks.yaml, driven by the real pre-commit framework and real git.

A copy of this working tree is committed to a temporary repository, and a user repository
points its .pre-commit-config.yaml at it: pre-commit builds keysweep into its own virtualenv
exactly as it would for a user (once per test session).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import git_env

ROOT = Path(__file__).resolve().parents[1]
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_COPY = ("scanner", "rules", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is required")


def linear_key(seed: int) -> str:
    """A Linear-API-key-shaped token (rule linear.api-key), built at run time."""
    rnd = random.Random(seed)
    return "lin_" + "api_" + "".join(rnd.choice(_ALNUM) for _ in range(40))


def _env(home: Path) -> dict[str, str]:
    return git_env(PRE_COMMIT_HOME=str(home), NO_COLOR="1")


def _run(cwd: Path, env: dict[str, str], *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)


def _ok(cwd: Path, env: dict[str, str], *cmd: str) -> str:
    proc = _run(cwd, env, *cmd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """This working tree, committed to a throwaway repository; and a shared PRE_COMMIT_HOME."""
    base = tmp_path_factory.mktemp("hooks")
    repo = base / "keysweep"
    repo.mkdir()
    for name in _COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(src, repo / name)
    home = base / "pre-commit-home"
    env = _env(home)
    _ok(repo, env, "git", "init", "-q")
    _ok(repo, env, "git", "add", "-A")
    _ok(repo, env, "git", "commit", "-q", "-m", "keysweep under test")
    return repo, _ok(repo, env, "git", "rev-parse", "HEAD"), home


@pytest.fixture()
def user_repo(tmp_path: Path, hook_repo: tuple[Path, str, Path]) -> Iterator[tuple[Path, dict[str, str]]]:
    repo_path, rev, home = hook_repo
    env = _env(home)
    user = tmp_path / "user"
    user.mkdir()
    _ok(user, env, "git", "init", "-q", "-b", "main")
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo_path}\n    rev: {rev}\n    hooks:\n      - id: keysweep\n      - id: keysweep-push\n"
    )
    _ok(
        user, env, sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-commit", "--hook-type", "pre-push"
    )
    _ok(user, env, "git", "add", ".pre-commit-config.yaml")
    _ok(user, env, "git", "commit", "-q", "-m", "pre-commit config")  # builds the hook env once
    yield user, env


def _head(user: Path, env: dict[str, str], ref: str = "HEAD") -> str:
    return _ok(user, env, "git", "rev-parse", ref)


def test_commit_hook_blocks_a_leaking_commit_and_lets_a_clean_one_through(
    user_repo: tuple[Path, dict[str, str]],
) -> None:
    user, env = user_repo
    (user / "app.py").write_text("import os\n\nTOKEN = os.environ['LINEAR_KEY']\n")
    _ok(user, env, "git", "add", "app.py")
    clean = _run(user, env, "git", "commit", "-m", "clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "keysweep (secrets in staged lines)" in clean.stdout + clean.stderr
    before = _head(user, env)

    (user / "settings.py").write_text(f"DEBUG = True\nLINEAR_KEY = '{linear_key(1)}'\n")
    _ok(user, env, "git", "add", "settings.py")
    leak = _run(user, env, "git", "commit", "-m", "leak")
    out = leak.stdout + leak.stderr
    assert leak.returncode != 0
    assert "linear.api-key" in out and "settings.py" in out
    assert linear_key(1) not in out  # redacted by default
    assert _head(user, env) == before

    # `git commit -a` hands the hook a temporary index: the leak must still be seen.
    _ok(user, env, "git", "reset", "-q", "settings.py")
    (user / "app.py").write_text(f"import os\n\nTOKEN = '{linear_key(2)}'\n")
    leak_a = _run(user, env, "git", "commit", "-a", "-m", "leak via -a")
    assert leak_a.returncode != 0 and "app.py" in leak_a.stdout + leak_a.stderr
    assert _head(user, env) == before


def test_commit_hook_ignores_secrets_already_in_the_file(user_repo: tuple[Path, dict[str, str]]) -> None:
    user, env = user_repo
    (user / "old.py").write_text(f"KEY = '{linear_key(3)}'\n")
    _ok(user, env, "git", "add", "old.py")
    _ok(user, env, "git", "commit", "-q", "--no-verify", "-m", "legacy leak, baselined elsewhere")
    (user / "old.py").write_text(f"KEY = '{linear_key(3)}'\nOTHER = 1\n")
    _ok(user, env, "git", "add", "old.py")
    proc = _run(user, env, "git", "commit", "-m", "unrelated edit")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_push_hook_scans_the_commits_being_pushed(user_repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    user, env = user_repo
    remote = tmp_path / "remote.git"
    _ok(tmp_path, env, "git", "init", "-q", "--bare", str(remote))
    _ok(user, env, "git", "remote", "add", "origin", str(remote))

    # First push of a clean branch (pre-commit's "whole branch is new" case).
    first = _run(user, env, "git", "push", "-q", "origin", "main")
    assert first.returncode == 0, first.stdout + first.stderr
    pushed = _head(user, env)

    # A secret committed past the commit hook and removed again is still in what is pushed.
    (user / "cfg.py").write_text(f"KEY = '{linear_key(4)}'\n")
    _ok(user, env, "git", "add", "cfg.py")
    _ok(user, env, "git", "commit", "-q", "--no-verify", "-m", "oops")
    (user / "cfg.py").write_text("KEY = None\n")
    _ok(user, env, "git", "commit", "-q", "-a", "-m", "remove it")
    blocked = _run(user, env, "git", "push", "-q", "origin", "main")
    assert blocked.returncode != 0
    assert "linear.api-key" in blocked.stdout + blocked.stderr
    assert _ok(remote, env, "git", "rev-parse", "main") == pushed

    # Once that history is on the remote anyway, later clean pushes scan only what is new.
    _ok(user, env, "git", "push", "-q", "--no-verify", "origin", "main")
    (user / "next.py").write_text("print('clean')\n")
    _ok(user, env, "git", "add", "next.py")
    _ok(user, env, "git", "commit", "-q", "-m", "clean follow-up")
    again = _run(user, env, "git", "push", "-q", "origin", "main")
    assert again.returncode == 0, again.stdout + again.stderr

    # A new branch whose root is not on the remote at all is scanned whole.
    _ok(user, env, "git", "checkout", "-q", "--orphan", "fresh")
    _ok(user, env, "git", "rm", "-q", "-r", "--cached", ".")
    for path in user.iterdir():
        if path.name not in (".git", ".pre-commit-config.yaml"):
            path.unlink()
    (user / "orphan.py").write_text(f"K = '{linear_key(5)}'\n")
    _ok(user, env, "git", "add", "-A")
    _ok(user, env, "git", "commit", "-q", "--no-verify", "-m", "orphan leak")
    orphan = _run(user, env, "git", "push", "-q", "origin", "fresh")
    assert orphan.returncode != 0 and "orphan.py" in orphan.stdout + orphan.stderr
