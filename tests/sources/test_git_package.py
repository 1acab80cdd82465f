"""scanner.sources.git imports its modules when a name is first used: a pre-commit hook
does not load the history's listing and pack reader, nor the gitleaks config reader."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import scanner.sources.git as git_source

ROOT = Path(__file__).resolve().parents[2]
_PROBE = (
    "import sys; from scanner.cli import main; code = main(sys.argv[1:]);"
    "print(sorted(m for m in sys.modules if m.startswith('scanner.')), file=sys.stderr)"
)


def test_every_exported_name_resolves() -> None:
    for name in git_source.__all__:
        assert getattr(git_source, name).__name__ == name
    assert set(git_source.__all__) <= set(dir(git_source))
    with pytest.raises(AttributeError):
        git_source.not_a_name  # noqa: B018


def test_a_staged_scan_loads_no_history_machinery(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["PYTHONPATH"] = str(ROOT)
    env["KEYSWEEP_CACHE_DIR"] = str(tmp_path / "cache")
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    (repo / "app.py").write_text("timeout = 30\n")
    subprocess.run(["git", "-C", str(repo), "add", "app.py"], check=True, env=env)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "staged", str(repo), "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stderr.strip().splitlines()[-1]
    assert "scanner.sources.git.staged" in loaded
    for module in ("history", "listing", "pack", "refs", "remote"):
        assert f"scanner.sources.git.{module}'" not in loaded
    assert "scanner.gitleaks'" not in loaded
