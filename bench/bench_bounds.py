"""How close the history scan can come to the git floor: lower bounds, measured.

Runs `keysweep git` on one repository four ways, each alternated with the floor
(`git cat-file --batch-all-objects --batch`) and reported as a ratio of it:

- full scan;
- matching taken out (every blob still rebuilt from the packs, none matched);
- the walk taken out too (start-up, pack index, pattern compile, listing, report);
- the interpreter importing the CLI, nothing else.

The second and third lines are what the scan would cost if matching (then the walk as
well) were free: no change to matching alone can bring the ratio below them.

    python bench/bench_bounds.py --repo PATH [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _timing import cores, run_measured  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="a history (see gen_history.py)")
    parser.add_argument("--runs", type=int, default=5, help="median of N runs")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    floor_cmd = ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"]
    runner = [sys.executable, str(ROOT / "bench" / "_bound_runner.py")]
    with tempfile.TemporaryDirectory() as tmp:
        scan = [*runner, "git", str(repo), "--format", "json", "-o", str(Path(tmp) / "r.json"), "--no-progress"]
        ways = {
            "full scan": (scan, ""),
            "matching free (walk only)": (scan, "nomatch"),
            "walk and matching free": (scan, "nowalk"),
            "interpreter + imports": ([sys.executable, "-c", "import scanner.cli"], ""),
        }
        ratios: dict[str, list[float]] = {name: [] for name in ways}
        walls: dict[str, list[float]] = {name: [] for name in ways}
        floors: list[float] = []
        saved = os.environ.get("KEYSWEEP_BOUND")
        try:
            for run in range(args.runs + 1):  # the first round warms caches and is dropped
                for name, (cmd, bound) in ways.items():
                    os.environ["KEYSWEEP_BOUND"] = bound
                    floor = run_measured(floor_cmd)[0]
                    wall = run_measured(cmd, ok=(0, 1))[0]
                    if run:
                        floors.append(floor)
                        walls[name].append(wall)
                        ratios[name].append(wall / floor)
        finally:
            if saved is None:
                os.environ.pop("KEYSWEEP_BOUND", None)
            else:
                os.environ["KEYSWEEP_BOUND"] = saved
    print(f"repository: {repo}; {cores()} cores; medians of {args.runs} runs")
    print(f"git cat-file --batch-all-objects --batch : {statistics.median(floors):7.3f} s")
    for name in ways:
        print(f"{name:41s}: {statistics.median(walls[name]):7.3f} s   ratio {statistics.median(ratios[name]):5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
