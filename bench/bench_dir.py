"""`keysweep dir` against `cat` of the same files, Kingfisher and detect-secrets.

The tree is real code: this interpreter's standard library (`*.py`), copied to a temp
directory (no .git, so every file is scanned); or with `--tree`, a copy of any directory
(e.g. the Ruby gems of /usr/lib/ruby). `cat`, keysweep (all cores and `--jobs 1`) and
Kingfisher (its binary, run directly: `pip install kingfisher-bin`, then `--kingfisher
.../site-packages/kingfisher/bin/kingfisher`) run in turn each round; figures are medians,
ratios the median of the ratios within a round.

    python bench/bench_dir.py [--runs 3] [--limit-mb 40] [--tree DIR] [--kingfisher BIN] [--no-detect-secrets]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import cores, keysweep, median, run_measured, warm_gate  # noqa: E402


def build_tree(dest: Path, limit: int, source: Path | None = None) -> tuple[int, int]:
    root = source or Path(sysconfig.get_paths()["stdlib"])
    files = size = 0
    for path in sorted(root.rglob("*" if source else "*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("site-packages", "dist-packages") or size >= limit:
            continue
        if path.is_symlink() or not path.is_file():
            continue
        target = dest / "lib" / rel  # not at the top: a tool run here must not import these
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        files += 1
        size += target.stat().st_size
    return files, size


def _rounds(cmds: dict[str, list[str]], runs: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of each command, one run of each a round, the first rotating.
    CPU is the process tree's: on a shared machine a tool running more processes or
    threads gets more of the cores, so wall time alone favours it."""
    names = list(cmds)
    runs_of: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for name in names:
        run_measured(cmds[name], ok=(0, 1, 200, 205), shell=name == "cat")  # warm-up
    for n in range(runs):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            wall, _rss, cpu = run_measured(cmds[name], ok=(0, 1, 200, 205), shell=name == "cat")
            runs_of[name].append((wall, cpu))
    return runs_of


def _ratio(walls: dict[str, list[tuple[float, float]]], a: str, b: str, what: int = 0) -> float:
    return statistics.median(x[what] / y[what] for x, y in zip(walls[a], walls[b], strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit-mb", type=float, default=40.0, help="stop copying past this size")
    parser.add_argument("--tree", type=Path, help="copy this directory (all files) instead of the stdlib's *.py")
    parser.add_argument("--kingfisher", type=Path, help="Kingfisher's binary (not its Python wrapper)")
    parser.add_argument("--no-detect-secrets", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        files, size = build_tree(tree, int(args.limit_mb * 1024 * 1024), args.tree)
        load = os.getloadavg()[0]
        print(f"tree: {files} files, {size / 2**20:.1f} MiB; {cores()} cores; medians of {args.runs}; load {load:.1f}")
        listing = Path(tmp) / "files.txt"
        listing.write_bytes(b"\0".join(str(p).encode() for p in sorted(tree.rglob("*")) if p.is_file()))
        report = str(Path(tmp) / "r.json")
        cmds = {
            "cat": ["xargs", "-0", "cat", "<", str(listing), ">", "/dev/null"],
            "keysweep": keysweep("dir", str(tree), "--format", "json", "-o", report),
            "keysweep -j 1": keysweep("dir", str(tree), "--jobs", "1", "--format", "json", "-o", report),
        }
        if args.kingfisher:
            cmds["kingfisher"] = [str(args.kingfisher), "scan", str(tree), "--no-validate", "--no-update-check"]
            cmds["kingfisher"] += ["--format", "json", "-o", str(Path(tmp) / "k.json")]
        warm_gate()
        walls = _rounds(cmds, args.runs)
        for name in cmds:
            wall = statistics.median(r[0] for r in walls[name])
            cpu = statistics.median(r[1] for r in walls[name])
            print(f"{name:<14} {wall:7.3f} s  CPU {cpu:7.3f} s  {_ratio(walls, name, 'cat'):6.1f}x cat", end="")
            if "kingfisher" in walls:
                print(f"   kingfisher: wall {_ratio(walls, name, 'kingfisher'):5.2f}x", end="")
                print(f" CPU {_ratio(walls, name, 'kingfisher', 1):5.2f}x", end="")
            print()
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        if not args.no_detect_secrets and shutil.which("detect-secrets"):
            subprocess.run(["git", "init", "-q", str(tree)], check=True)  # detect-secrets lists files via git
            subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
            ds, _ = median(["detect-secrets", "scan", str(tree)], args.runs, cwd=tree)
            ks = statistics.median(r[0] for r in walls["keysweep"])
            print(f"detect-secrets scan: {ds:7.3f} s   keysweep is {ds / ks:5.1f}x faster (goal >= 10x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
