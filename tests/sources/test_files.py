"""scanner.sources.files: working trees, through the CLI as users run it."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
