"""`keysweep git URL`: a remote repository is cloned bare (by GitPython) and scanned."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.sources.git import is_remote
from tests.helpers import git, github_token, run_subprocess


def _bare_with_secret(tmp_path: Path, token: str) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "deploy.env").write_text(f"GITHUB_TOKEN={token}\n")
    git(work, "add", ".")
    git(work, "commit", "-qm", "add deploy settings")
    (work / "deploy.env").write_text("GITHUB_TOKEN=${GITHUB_TOKEN}\n")
    git(work, "commit", "-qam", "read the token from the environment")
    git(work, "tag", "v1", "HEAD~1")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def test_a_file_url_is_cloned_and_its_history_scanned(tmp_path: Path) -> None:
    token = github_token("remote")
    bare = _bare_with_secret(tmp_path, token)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_subprocess(
        ["git", bare.as_uri(), "--format", "json", "--no-redact"], cwd=tmp_path, env={"TMPDIR": str(scratch)}
    )
    assert result.code == 1, result.err
    findings = json.loads(result.out)
    assert [(f["file"], f["secret"]) for f in findings] == [("deploy.env", token)]
    assert findings[0]["commit"] == git(bare, "rev-parse", "v1").strip()
    assert not list(scratch.iterdir()), "the clone is not left behind"


def test_a_credential_in_the_url_never_shows_and_the_url_is_not_mangled(tmp_path: Path) -> None:
    secret = "tok" + github_token("in-url")[4:20]
    result = run_subprocess(["git", f"https://reader:{secret}@127.0.0.1:9/org/repo.git"], cwd=tmp_path)
    assert result.code == 2
    assert secret not in result.err
    assert "https://127.0.0.1:9/org/repo.git" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_a_clone_inside_a_hook_environment_is_refused(tmp_path: Path) -> None:
    bare = _bare_with_secret(tmp_path, github_token("hook"))
    result = run_subprocess(["git", bare.as_uri()], cwd=tmp_path, env={"GIT_DIR": str(bare)})
    assert result.code == 2
    assert "GIT_DIR" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("target", "remote"),
    [
        ("https://github.com/org/repo.git", True),
        ("ssh://git@host/org/repo", True),
        ("git@github.com:org/repo.git", True),
        ("file:///srv/git/repo.git", True),
        (".", False),
        ("some/dir", False),
        ("C:\\work\\repo", False),
        ("ext::sh -c id", False),
        ("-oProxyCommand=x@host:path", False),
    ],
)
def test_what_counts_as_a_remote(target: str, remote: bool) -> None:
    assert is_remote(target) is remote


def test_the_hook_never_imports_gitpython(tmp_path: Path) -> None:
    """GitPython is for remote clones only: the staged scan must not pay for importing it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    code = (
        "import sys; from scanner.cli import main; code = main(['staged', '.']);"
        " print('git' in sys.modules, file=sys.stderr); sys.exit(0)"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, env={"PYTHONPATH": str(root)}
    )
    assert proc.stderr.strip().splitlines()[-1] == "False", proc.stderr
