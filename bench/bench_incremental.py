"""Incremental re-scan benchmark: a second `keysweep git --datastore` of the same history
against the first, and against a plain scan, measured in the same run.

The first scan matches every blob and keeps the clean ones in the datastore; a second scan
of the unchanged history matches only the blobs with findings, and one after new commits
matches those and the new blobs. Reported as ratios of the first scan (medians of
`--runs`, each round run in turn so machine load hits every case alike).

    python bench/bench_incremental.py [--commits 600] [--runs 3] [--repo PATH] [--jobs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _timing import keysweep, run_measured  # noqa: E402
from gen_history import generate  # noqa: E402


def _add_commits(repo: Path, count: int) -> None:
    """`count` small commits on top: what a week of work brings before the next audit."""
    env = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.test"}
    env.update(GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="b@example.test")
    full = {**__import__("os").environ, **env}
    for n in range(count):
        path = repo / "weekly" / f"change_{n}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join(f"value_{i} = {i * n}\n" for i in range(200)))
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=full)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", f"week {n}"], check=True, env=full)


def _round(repo: Path, store: Path, jobs: list[str]) -> dict[str, tuple[float, float]]:
    """One of each: plain scan, first datastore scan, unchanged re-scan (wall, CPU)."""
    if store.exists():
        store.unlink()
    for extra in ("-wal", "-shm"):
        Path(str(store) + extra).unlink(missing_ok=True)
    scan = keysweep("git", str(repo), "--format", "json", "-o", "/dev/null", *jobs)
    with_store = [*scan, "--datastore", str(store)]
    times = {}
    for name, cmd in (("plain", scan), ("first", with_store), ("again", with_store)):
        wall, _rss, cpu = run_measured(cmd, ok=(0, 1))
        times[name] = (wall, cpu)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repo", type=Path, help="an existing repository (a copy is scanned)")
    parser.add_argument("--jobs", type=int, help="keysweep --jobs (default: keysweep's)")
    args = parser.parse_args(argv)
    jobs = ["-j", str(args.jobs)] if args.jobs else []
    with tempfile.TemporaryDirectory(prefix="keysweep-inc-") as scratch:
        repo = Path(scratch) / "repo"
        if args.repo:
            shutil.copytree(args.repo, repo, symlinks=True)
        else:
            generate(repo, args.commits, edits="hunks")
        store = Path(scratch) / "audit.sqlite"
        rounds = [_round(repo, store, jobs) for _ in range(args.runs)]
        _add_commits(repo, 10)
        weekly = [
            run_measured([*keysweep("git", str(repo), "-o", "/dev/null", *jobs), "--datastore", str(store)], ok=(0, 1))
            for _ in range(args.runs)
        ]
    med = {name: statistics.median(r[name][0] for r in rounds) for name in ("plain", "first", "again")}
    cpu = {name: statistics.median(r[name][1] for r in rounds) for name in ("plain", "first", "again")}
    week = statistics.median(w[0] for w in weekly)
    print(f"history: {args.repo or f'generated, {args.commits} commits'}; medians of {args.runs}")
    print(f"{'scan':<34}{'wall s':>8}{'CPU s':>8}{'x first':>9}")
    rows = [
        ("plain (no datastore)", med["plain"], cpu["plain"]),
        ("first, --datastore", med["first"], cpu["first"]),
        ("again, unchanged", med["again"], cpu["again"]),
        ("after 10 new commits", week, statistics.median(w[2] for w in weekly)),
    ]
    for name, wall, used in rows:
        print(f"{name:<34}{wall:>8.2f}{used:>8.2f}{wall / med['first']:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
