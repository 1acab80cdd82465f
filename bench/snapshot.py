"""Write the JSON reports of a fixed set of scans, to compare two builds byte for byte.

Each history is scanned whole (`--jobs 1` and `--jobs 2`: the pack walk), as a range
(`--since HEAD~N`: the cat-file path) and by branch; each directory with `dir`. Reports
are unredacted (so a changed secret shows) and written as OUT/<name>.<scan>.json.

    python bench/snapshot.py OUT --code /path/to/checkout --git REPO... --dir DIR...
    diff -r OUT_BEFORE OUT_AFTER
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
from pathlib import Path

_SCANS = {
    "whole-j1": ["--jobs", "1"],
    "whole-j2": ["--jobs", "2"],
    "since": ["--since", "HEAD~12", "--jobs", "2"],
    "branch": ["--branch", "HEAD", "--jobs", "2"],
}


@functools.cache
def _groups(code: Path) -> bool:
    """Whether the build groups findings by secret (0.2+): its reports are compared
    ungrouped (`--no-group`), the one shape every build can write."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.run([sys.executable, "-m", "scanner", "git", "--help"], env=env, capture_output=True, check=False)
    return b"--no-group" in proc.stdout


def _run(code: Path, args: list[str], out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    if _groups(code):
        args = [*args, "--no-group"]
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", *args, "--format", "json", "--no-redact", "--no-progress", "-o", str(out)],
        env=env,
        capture_output=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    print(f"{out.name}: {proc.stderr.decode().strip().splitlines()[-1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--git", type=Path, nargs="*", default=[])
    parser.add_argument("--dir", type=Path, nargs="*", default=[])
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for repo in args.git:
        for scan, extra in _SCANS.items():
            _run(args.code, ["git", str(repo), *extra], args.out / f"{repo.name}.{scan}.json")
    for directory in args.dir:
        _run(args.code, ["dir", str(directory)], args.out / f"{directory.name}.dir.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
