"""A hostile checkout: its config names commands at every hook git has; keysweep runs none.

Each trap writes to a marker file when run. A sanity step shows plain git does run it (so
the trap is real), then each of keysweep's three git-reading scans must leave the marker
absent and still report the secret.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import Result, github_token
from tests.sources.test_git import Repo

Cli = Callable[..., Result]


def _trap(directory: Path, name: str, marker: Path) -> str:
    """A script that records that it ran (and, as a filter, passes its input through)."""
    script = directory / name
    script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{marker}"\ncat\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.fixture()
def hostile(tmp_path: Path) -> tuple[Repo, Path, str]:
    """A repository whose config runs a trap as fsmonitor, filter, textconv, external diff,
    pager, ssh command and upload-pack, with a secret in history, staged and on disk."""
    traps = tmp_path / "traps"
    traps.mkdir()
    marker = tmp_path / "ran.log"
    repo = Repo(tmp_path / "repo")
    repo.path.mkdir()
    repo.git("init", "-q")
    token = github_token("hostile")
    repo.write("app.py", f"TOKEN = '{token}'\n")
    repo.commit("add app")
    repo.write(".gitattributes", "* filter=evil diff=evil\n")
    settings = {
        "core.fsmonitor": _trap(traps, "fsmonitor", marker),
        "filter.evil.clean": _trap(traps, "clean", marker),
        "filter.evil.smudge": _trap(traps, "smudge", marker),
        "diff.evil.textconv": _trap(traps, "textconv", marker),
        "diff.external": _trap(traps, "external-diff", marker),
        "core.pager": _trap(traps, "pager", marker),
        "core.sshCommand": _trap(traps, "ssh", marker),
        "remote.origin.uploadpack": _trap(traps, "upload-pack", marker),
        "remote.origin.url": "ssh://example.invalid/repo.git",
        "core.hooksPath": str(traps),
    }
    for key, value in settings.items():
        repo.git("config", key, value)
    _trap(traps, "post-checkout", marker)
    repo.write("staged.py", f"STAGED = '{token}'\n")
    repo.git("add", "staged.py")
    marker.unlink(missing_ok=True)
    return repo, marker, token


def _plain_git(repo: Repo, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo.path), *args], env=repo.env, capture_output=True, check=False)


def test_the_traps_are_real_plain_git_runs_them(hostile: tuple[Repo, Path, str]) -> None:
    repo, marker, _ = hostile
    _plain_git(repo, "status")
    _plain_git(repo, "diff", "--cached")
    ran = marker.read_text()
    for name in ("fsmonitor", "external-diff"):
        assert name in ran


@pytest.mark.parametrize("command", ["git", "staged", "dir"])
def test_no_command_named_by_the_scanned_repository_runs(
    cli: Cli, hostile: tuple[Repo, Path, str], command: str
) -> None:
    repo, marker, token = hostile
    args = [command, str(repo.path), "--format", "json", "--no-redact"]
    if command == "staged":
        args = ["staged", "--format", "json", "--no-redact"]
    result = cli(args, cwd=repo.path)
    assert result.code == 1, result.err
    assert token in {f["secret"] for f in json.loads(result.out)}
    assert not marker.exists(), marker.read_text()


def test_a_hostile_checkout_run_as_a_pre_commit_hook_runs_nothing(hostile: tuple[Repo, Path, str]) -> None:
    """The same, as a separate process with the environment a git hook is given."""
    repo, marker, _ = hostile
    env = repo.env | {"GIT_DIR": ".git", "GIT_INDEX_FILE": ".git/index"}
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", "staged"], cwd=repo.path, env=env, capture_output=True, check=False
    )
    assert proc.returncode == 1, proc.stderr.decode()
    assert not marker.exists(), marker.read_text()


# --------------------------------------------------------------------------- partial clones


def _server(tmp_path: Path, token: str) -> tuple[Repo, str]:
    """An origin with one small file holding the secret and one large blob of filler."""
    origin = Repo(tmp_path / "origin")
    origin.path.mkdir()
    origin.git("init", "-q")
    origin.git("config", "uploadpack.allowFilter", "true")
    origin.write("small.py", f"KEY = '{token}'\n")
    origin.write("large.txt", "filler line\n" * 400)
    origin.commit("two files")
    origin.write("large.txt", "other filler\n" * 400)
    origin.commit("edit the large file")
    return origin, origin.path.as_uri()


def _partial_clone(tmp_path: Path, url: str, env: dict[str, str]) -> Path:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--bare", "--filter=blob:limit=1k", url, str(clone)],
        env=env,
        capture_output=True,
        check=True,
    )
    return clone


def _objects(clone: Path, env: dict[str, str]) -> str:
    return subprocess.run(
        ["git", "-C", str(clone), "count-objects", "-v"], env=env, capture_output=True, check=True, text=True
    ).stdout


def test_a_partial_clone_is_scanned_without_fetching_and_says_what_it_lacks(cli: Cli, tmp_path: Path) -> None:
    token = github_token("partial")
    origin, url = _server(tmp_path, token)
    clone = _partial_clone(tmp_path, url, origin.env)
    before = _objects(clone, origin.env)
    result = cli(["git", str(clone), "--format", "json", "--no-redact", "--jobs", "1"])
    assert result.code == 1, result.err
    assert [f["file"] for f in json.loads(result.out) if f["secret"] == token] == ["small.py"]
    assert "2 blobs not in this partial clone, not scanned" in result.err, result.err
    assert "corrupt" not in result.err
    assert _objects(clone, origin.env) == before  # nothing was fetched


def test_a_partial_clone_whose_remote_hangs_does_not_hang_the_scan(cli: Cli, tmp_path: Path) -> None:
    token = github_token("silent")
    origin, url = _server(tmp_path, token)
    clone = _partial_clone(tmp_path, url, origin.env)
    marker = tmp_path / "fetched.log"
    silent = tmp_path / "silent-upload-pack"
    silent.write_text(f'#!/bin/sh\necho ran >> "{marker}"\nsleep 600\n')
    silent.chmod(0o755)
    subprocess.run(["git", "-C", str(clone), "config", "remote.origin.uploadpack", str(silent)], check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "git", str(clone), "--format", "json", "--no-redact"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the scan hung on the partial clone's silent remote")
    assert proc.returncode == 1, err.decode()
    assert token in {f["secret"] for f in json.loads(out)}
    assert not marker.exists()


def test_a_partial_clone_whose_remote_is_gone(cli: Cli, tmp_path: Path) -> None:
    token = github_token("gone")
    origin, url = _server(tmp_path, token)
    clone = _partial_clone(tmp_path, url, origin.env)
    os.rename(origin.path, tmp_path / "moved-away")
    result = cli(["git", str(clone), "--format", "json", "--no-redact"])
    assert result.code == 1, result.err
    assert token in {f["secret"] for f in json.loads(result.out)}


def test_a_blobless_clone_with_one_blob_fetched(cli: Cli, tmp_path: Path) -> None:
    """`--filter=blob:none` lacks every blob: more than any per-object retry would allow."""
    token = github_token("blobless")
    origin = Repo(tmp_path / "origin")
    origin.path.mkdir()
    origin.git("init", "-q")
    origin.git("config", "uploadpack.allowFilter", "true")
    for i in range(150):
        origin.write(f"f/{i}.txt", f"file {i}\n")
    origin.write("key.py", f"KEY = '{token}'\n")
    origin.commit("many files")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--no-checkout", "--filter=blob:none", origin.path.as_uri(), str(clone)],
        env=origin.env,
        check=True,
    )
    # Fetch the one blob holding the secret, as a sparse checkout would.
    subprocess.run(
        ["git", "-C", str(clone), "cat-file", "-p", "HEAD:key.py"], env=origin.env, capture_output=True, check=True
    )
    result = cli(["git", str(clone), "--format", "json", "--no-redact"])
    assert result.code == 1, result.err
    assert [f["file"] for f in json.loads(result.out)] == ["key.py"]
    assert "150 blobs not in this partial clone, not scanned" in result.err
