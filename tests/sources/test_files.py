"""scanner.sources.files: working trees, through the CLI as users run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import github_token


def test_symlink_loops_are_noted_and_the_rest_is_scanned(cli, tmp_path: Path) -> None:
    token = github_token("loop")
    (tmp_path / "settings.env").write_text(f"GITHUB_TOKEN={token}\n")
    os.symlink("self", tmp_path / "self")
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    result = cli(["dir", str(tmp_path), "--format", "json", "--no-redact"])
    assert result.code == 1, result.err
    assert [f["secret"] for f in json.loads(result.out)] == [token]
    for name in ("self", "a", "b"):
        assert f"note: {name}: symbolic link loop, not followed" in result.err
    assert "internal error" not in result.err


def _git_tree(root: Path, token: str) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "config").mkdir()
    (root / "config" / "settings.yaml").write_text(f"token: {token}\n")
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "sub" / "deep" / "fixture.yaml").write_text(f"token: {token}\n")
    (root / ".keysweep.toml").write_text('[allowlist]\npaths = ["^sub/deep/fixture\\\\.yaml$"]\n')
    return root


@pytest.mark.parametrize("named", ["config", "config/settings.yaml", "./config/", "{root}/config", "{root}"])
def test_the_file_reported_does_not_depend_on_how_the_target_is_named(cli, tmp_path: Path, named: str) -> None:
    root = _git_tree(tmp_path / "repo", github_token("named"))
    result = cli(["dir", named.format(root=root), "--format", "json"], cwd=root)
    assert result.code == 1, result.err
    assert [f["file"] for f in json.loads(result.out)] == ["config/settings.yaml"]


def test_a_subfolder_of_a_work_tree_reports_from_its_top_with_the_tops_config(cli, tmp_path: Path) -> None:
    root = _git_tree(tmp_path / "repo", github_token("sub"))
    (root / "sub" / "deep" / "real.env").write_text(f"T={github_token('real')}\n")
    result = cli(["dir", "deep", "--format", "json"], cwd=root / "sub")
    assert result.code == 1, result.err
    # The top's allowlist (written for paths from the top) drops the fixture.
    assert [f["file"] for f in json.loads(result.out)] == ["sub/deep/real.env"]
    result = cli(["dir", str(root / "sub"), "--format", "json"], cwd=tmp_path)
    assert [f["file"] for f in json.loads(result.out)] == ["sub/deep/real.env"]


def test_outside_a_work_tree_paths_are_from_the_current_directory(cli, tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "a.env").write_text(f"T={github_token('plain')}\n")
    for named in ("conf", "conf/a.env", str(tmp_path / "conf")):
        result = cli(["dir", named, "--format", "json"], cwd=tmp_path)
        assert [f["file"] for f in json.loads(result.out)] == ["conf/a.env"], named


_NO_OVERRIDE = ["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]


def _as_plain_user(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run keysweep without the power to read what its permissions forbid (root is given
    that power by two capabilities: drop them)."""
    command = [sys.executable, "-m", "scanner", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: every directory is readable")
        command = [setpriv, *_NO_OVERRIDE, "--", *command]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("listing", ["git", "walk"])
def test_an_unreadable_directory_is_a_warning_and_the_rest_is_scanned(tmp_path: Path, listing: str) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    if listing == "git":
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "open.env").write_text(f"T={github_token('open')}\n")
    locked = root / "locked"
    locked.mkdir()
    (locked / "hidden.env").write_text(f"T={github_token('hidden')}\n")
    locked.chmod(0)
    try:
        proc = _as_plain_user(["dir", ".", "--format", "json"], root)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    assert [f["file"] for f in json.loads(proc.stdout)] == ["open.env"]
    assert "warning: locked: cannot read (Permission denied), not scanned" in proc.stderr
