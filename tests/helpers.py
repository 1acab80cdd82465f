"""Shared test helpers: runtime-built fixture tokens and CLI runners.

No real-looking secret is ever written literally in a test: tokens are derived here
from a seed at run time, so the repository scans clean with keysweep itself.
"""

from __future__ import annotations

import importlib
import io
import os
import random
import string
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from scanner.cli import main

ALNUM = string.ascii_letters + string.digits
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int, width: int) -> str:
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = _B62[rem] + out
    return out.rjust(width, "0")


def random_chars(seed: int | str, length: int, alphabet: str = ALNUM) -> str:
    rng = random.Random(f"keysweep-test-{seed}")
    return "".join(rng.choice(alphabet) for _ in range(length))


def github_token(seed: int | str = 0, prefix: str = "ghp") -> str:
    """A GitHub-format token with a valid CRC32 checksum (never a live one: random body)."""
    body = random_chars(seed, 30)
    return f"{prefix}_{body}{_base62(zlib.crc32(body.encode()), 6)}"


def stripe_key(seed: int | str = 0) -> str:
    return "sk_" + "live_" + random_chars(seed, 24)


def aws_key_id(seed: int | str = 0) -> str:
    return "AKIA" + random_chars(seed, 16, string.ascii_uppercase + "234567")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run_cli(args: list[str], *, stdin: bytes = b"", cwd: Path | None = None, capsys=None, monkeypatch=None) -> Result:
    """Run `main(args)` in this process (fast), with stdin fed and stdout/stderr captured."""
    assert capsys is not None and monkeypatch is not None
    stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stream)
    if cwd is not None:
        monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = main(args)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_subprocess(
    args: list[str], *, stdin: bytes = b"", cwd: Path | None = None, env: dict[str, str] | None = None
) -> Result:
    """Run `python -m scanner` as users do (real process, real exit code)."""
    full_env = {**os.environ, **(env or {})}
    root = Path(__file__).resolve().parent.parent
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), full_env.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
        check=False,
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def git_env(name: str = "Dev", email: str = "dev@example.test", **extra: str) -> dict[str, str]:
    """The environment for git in tests: no caller GIT_*, no user or system config, a fixed identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=email,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=email,
    )
    env.update(extra)
    return env


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `repo` with a fixed identity; returns stdout."""
    full_env = git_env("Test Author", "author@example.invalid", **(env or {}))
    proc = subprocess.run(["git", *args], cwd=repo, env=full_env, capture_output=True, check=True)
    return proc.stdout.decode("utf-8", "replace")


def read_source(source, *, shared: bool = False) -> list:
    from scanner.sources.audit import read_items

    return read_items(source, shared=shared)


BENCH = Path(__file__).resolve().parents[1] / "bench"


def import_bench(*names: str, folder: str = "") -> tuple[ModuleType, ...]:
    """Modules of bench/ (or of a folder under it), imported with that folder on sys.path
    for the imports only: bench scripts import each other by their bare names."""
    where = str(BENCH / folder)
    sys.path.insert(0, where)
    try:
        return tuple(importlib.import_module(name) for name in names)
    finally:
        sys.path.remove(where)
