"""Peak memory of `keysweep git` on histories of growing size: it must stay flat.

Blobs are read from the packs a delta chain at a time (scanner.sources.git.pack), or streamed
through git cat-file --batch for what no pack holds, so peak RSS should not grow with the
content; only the indexes (the listing's, one entry per unique blob and path, and the
pack's, a few bytes per object) do. Histories come from gen_history.py.

With `--repo`, the given histories (e.g. gen_realistic.py's quick, mid and large) instead,
measured as the machine pays for them: the PSS of the whole process tree (keysweep, its
workers and its git children, bench/_pss.py), sampled every 50 ms, at its peak, with each
process's share at that moment.

    python bench/bench_memory.py [--commits 100,300,900] [--runs 1]
    python bench/bench_memory.py --repo /tmp/rs/quick /tmp/rs/mid /tmp/rs/large
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pss import measure_tree  # noqa: E402
from _timing import env, keysweep  # noqa: E402
from gen_history import generate  # noqa: E402

# keysweep in-process, then its own peak RSS (git's own cache is git's, not ours). VmHWM,
# not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report this
# benchmark's own peak (it holds the generated history's files) instead of keysweep's.
_PROBE = (
    "import resource, sys; from scanner.cli import main; code = main(sys.argv[1:]);"
    "lines = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')];"
    "peak = int(lines[0].split()[1]) if lines else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
    "children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
    "sys.stderr.write('RSS %d %d\\n' % (peak, children))"
)


def own_rss(*args: str) -> tuple[float, int, int]:
    """Wall seconds, keysweep's main-process peak RSS and that of its largest child process
    (a worker, or git cat-file with its delta cache), in KiB."""
    import time

    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args, "--no-progress"], capture_output=True, text=True, env=env()
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr)
    own, largest = proc.stderr.rsplit("RSS ", 1)[1].split()
    return wall, int(own), int(largest)


def blob_bytes(repo: Path) -> tuple[int, int]:
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = [int(line.split()[1]) for line in out.splitlines() if line.startswith("blob ")]
    return len(sizes), sum(sizes)


def tree_peaks(repos: list[Path], jobs: tuple[str, ...] = ("2", "1")) -> None:
    """Peak PSS of keysweep's whole process tree on each repository."""
    print(f"{'repository':<24} {'blobs':>7} {'MiB':>7} {'jobs':>4} {'tree PSS':>9} {'wall':>7}  largest at the peak")
    for repo in repos:
        count, size = blob_bytes(repo)
        for j in jobs:
            cmd = keysweep("git", str(repo), "--format", "json", "-o", os.devnull, "--jobs", j)
            got = measure_tree(cmd, env=env())
            parts = ", ".join(f"{name} {kib / 1024:.0f}" for name, kib in got.at_peak[:4])
            print(
                f"{repo.name:<24} {count:>7} {size / 2**20:>7.0f} {j:>4} {got.peak_kib / 1024:>6.0f} MiB"
                f" {got.wall:>6.1f}s  {parts}",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", default="100,300,900")
    parser.add_argument("--repo", type=Path, nargs="*", help="measure the tree's PSS on these histories")
    args = parser.parse_args(argv)
    if args.repo:
        tree_peaks(args.repo)
        return 0
    print("peak RSS of keysweep's main process (jobs=1 and all cores), and of the largest process")
    print("of its tree (workers, git cat-file with its delta cache)")
    print(f"{'commits':>8} {'blobs':>7} {'MiB':>7} {'main j=1':>9} {'main j=all':>11} {'largest':>8} {'wall':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for commits in (int(c) for c in args.commits.split(",")):
            repo = Path(tmp) / f"h{commits}"
            generate(repo, commits)
            count, size = blob_bytes(repo)
            report = str(Path(tmp) / "r.json")
            _, rss1, _ = own_rss("git", str(repo), "--jobs", "1", "--format", "json", "-o", report)
            wall, rss, tree = own_rss("git", str(repo), "--format", "json", "-o", report)
            print(
                f"{commits:>8} {count:>7} {size / 2**20:>7.1f} {rss1 / 1024:>7.0f} M {rss / 1024:>9.0f} M"
                f" {tree / 1024:>6.0f} M {wall:>6.2f}s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
