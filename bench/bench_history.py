"""History benchmark: `keysweep git` against `git cat-file --batch-all-objects --batch`.

The baseline is git itself printing every object of the repository (the floor for any
tool that reads all content); keysweep's wall time is reported as a ratio of it, on a
generated repository of real code (see gen_history.py). Also reported: the git source
alone (listing + streaming through cat-file, no matching), the pack walk alone (every blob
of the packs rebuilt in pack order, no matching: what the scan reads), the staged scan of a one-file commit against
`git diff --cached`, and keysweep's peak memory (with --memory-check, at 3x the history,
to show it stays flat).

    python bench/bench_history.py [--commits 300] [--edits append|hunks] [--runs 3] [--repo PATH] [--memory-check]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _timing import env, keysweep, median, run_measured  # noqa: E402
from gen_history import generate  # noqa: E402

from scanner.model import Blob  # noqa: E402
from scanner.sources import DEFAULT_MAX_FILE_SIZE  # noqa: E402
from scanner.sources.audit import read_items  # noqa: E402
from scanner.sources.git import HistorySource  # noqa: E402
from scanner.sources.git.history import history_packs  # noqa: E402


def source_only(repo: Path, runs: int) -> tuple[float, int, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        blobs = size = 0
        for item in read_items(HistorySource(repo, max_file_size=DEFAULT_MAX_FILE_SIZE)):
            if isinstance(item, Blob):
                blobs += 1
                size += len(item.data)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], blobs, size


def walk_only(repo: Path, runs: int) -> tuple[float, int, int]:
    """Every blob of the packs, read in pack order by scanner.sources.git.pack (one process,
    no matching): what keysweep's history scan reads instead of `git cat-file`."""
    times = []
    blobs = size = 0
    for _ in range(runs):
        start = time.perf_counter()
        walk = history_packs(repo, max_file_size=DEFAULT_MAX_FILE_SIZE)
        blobs = size = 0
        if walk is not None:
            for task in walk.tasks(1):

                def visit(blob, state):  # type: ignore[no-untyped-def]
                    nonlocal blobs, size
                    blobs += 1
                    size += len(blob.data)

                walk.walk(task, visit)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], blobs, size


def staged_bench(repo: Path, runs: int) -> tuple[float, float]:
    """One staged file in a clone's work tree: keysweep staged vs git diff --cached."""
    target = repo / "lib" / "bench_staged.py"
    target.write_text("print('one staged file')\n" * 20)
    subprocess.run(["git", "-C", str(repo), "add", str(target)], check=True, env=env())
    try:
        staged, _ = median(keysweep("staged", str(repo)), runs)
        git, _ = median(["git", "-C", str(repo), "diff", "--cached"], runs)
    finally:
        subprocess.run(["git", "-C", str(repo), "rm", "-q", "--cached", str(target)], check=True, env=env())
        target.unlink()
    return staged, git


def bench(repo: Path, runs: int, planted: int | None) -> dict[str, float]:
    count = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "--all"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"repository: {repo} ({count} commits)")
    import statistics

    floor_cmd = ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        scan_cmd = keysweep("git", str(repo), "--format", "json", "-o", str(report))
        run_measured(scan_cmd, ok=(0, 1))  # warm-up: compiled databases cached, files in the page cache
        # Floor and scan alternate, so a busy moment on a shared machine hits both alike.
        pairs = [(run_measured(floor_cmd), run_measured(scan_cmd, ok=(0, 1))) for _ in range(runs)]
        findings = json.loads(report.read_text())
    baseline = statistics.median(f[0] for f, _ in pairs)
    wall = statistics.median(k[0] for _, k in pairs)
    rss = max(k[1] for _, k in pairs)
    cpu = statistics.median(k[2] for _, k in pairs)
    floor_cpu = statistics.median(f[2] for f, _ in pairs)
    ratio = statistics.median(k[0] / f[0] for f, k in pairs)
    source, blobs, size = source_only(repo, runs)
    walked, walked_blobs, walked_size = walk_only(repo, runs)
    print(f"git cat-file --batch-all-objects --batch : {baseline:7.3f} s")
    print(
        f"keysweep git (full scan, json report)     : {wall:7.3f} s   ratio {wall / baseline:5.2f}x   peak RSS {rss / 1024:.0f} MiB"
    )
    print(f"  median of per-run ratios                : {ratio:5.2f}x   ({os.cpu_count()} cores)")
    print(f"  CPU seconds, all processes              : {cpu:7.3f} s   (floor {floor_cpu:.3f} s)")
    print(
        f"  git source alone (log pass + cat-file)  : {source:7.3f} s   ratio {source / baseline:5.2f}x   {blobs} unique blobs, {size / 2**20:.1f} MiB"
    )
    print(
        f"  pack walk alone (pack order, one core)  : {walked:7.3f} s   ratio {walked / baseline:5.2f}x   {walked_blobs} blobs in packs, {walked_size / 2**20:.1f} MiB"
    )
    attributed = sum(1 for f in findings if f.get("commit"))
    print(
        f"  findings: {len(findings)} ({attributed} attributed to a commit)"
        + (f", {planted} planted" if planted is not None else "")
    )
    keysweep_staged, git_diff = staged_bench(repo, runs)
    print(
        f"keysweep staged (one-file commit)         : {keysweep_staged:7.3f} s   (git diff --cached {git_diff:.3f} s; goal < 0.3 s)"
    )
    return {"baseline": baseline, "wall": wall, "rss": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="median of N runs")
    parser.add_argument("--repo", type=Path, help="benchmark this repository instead of generating one")
    parser.add_argument("--memory-check", action="store_true", help="also scan a 3x longer history")
    parser.add_argument(
        "--edits",
        choices=("append", "hunks"),
        default="append",
        help="how the generated history edits files (see gen_history.py)",
    )
    args = parser.parse_args(argv)
    random.seed(0)
    if args.repo:
        bench(args.repo.resolve(), args.runs, None)
        return 0
    with tempfile.TemporaryDirectory(prefix="keysweep-bench-") as tmp:
        repo = Path(tmp) / "history"
        counts = generate(repo, args.commits, edits=args.edits)
        small = bench(repo, args.runs, counts["planted"])
        if args.memory_check:
            big_repo = Path(tmp) / "history-3x"
            big_counts = generate(big_repo, args.commits * 3, edits=args.edits)
            big = bench(big_repo, 1, big_counts["planted"])
            print(
                f"peak RSS at {args.commits} commits: {small['rss'] / 1024:.0f} MiB; "
                f"at {args.commits * 3}: {big['rss'] / 1024:.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
