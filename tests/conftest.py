from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import Result, run_cli


def pytest_configure(config: pytest.Config) -> None:
    """One cache (compiled databases, parsed rule pack) for the whole session, never the
    developer's own: the gate takes seconds to compile. Tests of the cache set their own."""
    directory = tempfile.mkdtemp(prefix="keysweep-test-cache-")
    config.stash[_CACHE_KEY] = directory
    os.environ["KEYSWEEP_CACHE_DIR"] = directory


def pytest_unconfigure(config: pytest.Config) -> None:
    directory = config.stash.get(_CACHE_KEY, None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


_CACHE_KEY = pytest.StashKey[str]()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`cli(["dir", path], stdin=b"...")` -> Result(code, out, err), in this process."""

    def invoke(args: list[str], *, stdin: bytes = b"", cwd: Path | None = None) -> Result:
        return run_cli(args, stdin=stdin, cwd=cwd, capsys=capsys, monkeypatch=monkeypatch)

    return invoke


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook journals and caches never touch the developer's real state directories."""
    base = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("KEYSWEEP_STATE_DIR", str(base / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))  # `--datastore auto`
    monkeypatch.delenv("NO_COLOR", raising=False)
