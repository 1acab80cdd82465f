"""History benchmark: `keysweep git` against `git cat-file --batch-all-objects --batch`.

The baseline is git itself printing every object of the repository (the floor for any
tool that reads all content); keysweep's wall time is reported as a ratio of it, on a
generated repository of real code (see gen_history.py). Also reported: the git source
alone (listing + streaming, no matching), the staged scan of a one-file commit against
`git diff --cached`, and keysweep's peak memory (with --memory-check, at 3x the history,
to show it stays flat).

    python bench/bench_history.py [--commits 300] [--runs 3] [--repo PATH] [--memory-check]
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

from gen_history import generate  # noqa: E402

from scanner.sources import DEFAULT_MAX_FILE_SIZE  # noqa: E402
from scanner.sources.git import iter_history  # noqa: E402


def _env() -> dict[str, str]:
    # Bytecode caching on, as for an installed package (PYTHONDONTWRITEBYTECODE would
    # recompile every module on every run).
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def timed(cmd: list[str], *, cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run, output discarded."""
    wall, rss, _cpu = timed_cpu(cmd, cwd=cwd, ok=ok)
    return wall, rss


def timed_cpu(cmd: list[str], *, cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) of the main process, and CPU seconds of the whole process
    tree (user + system, workers and git included) of one run."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {err.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, usage.ru_maxrss, cpu


def best(cmd: list[str], runs: int, **kw: object) -> tuple[float, int]:
    """Median wall time (issue 6 asks for medians of 3) and the largest peak RSS."""
    import statistics

    results = [timed(cmd, **kw) for _ in range(runs)]  # type: ignore[arg-type]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def source_only(repo: Path, runs: int) -> tuple[float, int, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        blobs = size = 0
        for item in iter_history(repo, max_file_size=DEFAULT_MAX_FILE_SIZE):
            data = getattr(item, "data", None)
            if data is not None:
                blobs += 1
                size += len(data)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], blobs, size


def keysweep_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "scanner", *args, "--no-progress"]


def staged_bench(repo: Path, runs: int) -> tuple[float, float]:
    """One staged file in a clone's work tree: keysweep staged vs git diff --cached."""
    target = repo / "lib" / "bench_staged.py"
    target.write_text("print('one staged file')\n" * 20)
    subprocess.run(["git", "-C", str(repo), "add", str(target)], check=True, env=_env())
    try:
        keysweep, _ = best(keysweep_cmd("staged", str(repo)), runs)
        git, _ = best(["git", "-C", str(repo), "diff", "--cached"], runs)
    finally:
        subprocess.run(["git", "-C", str(repo), "rm", "-q", "--cached", str(target)], check=True, env=_env())
        target.unlink()
    return keysweep, git


def bench(repo: Path, runs: int, planted: int | None) -> dict[str, float]:
    count = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "--all"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"repository: {repo} ({count} commits)")
    import statistics

    floor_cmd = ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        scan_cmd = keysweep_cmd("git", str(repo), "--format", "json", "-o", str(report))
        timed_cpu(scan_cmd, ok=(0, 1))  # warm-up: compiled databases cached, files in the page cache
        # Floor and scan alternate, so a busy moment on a shared machine hits both alike.
        pairs = [(timed_cpu(floor_cmd), timed_cpu(scan_cmd, ok=(0, 1))) for _ in range(runs)]
        findings = json.loads(report.read_text())
    baseline = statistics.median(f[0] for f, _ in pairs)
    wall = statistics.median(k[0] for _, k in pairs)
    rss = max(k[1] for _, k in pairs)
    cpu = statistics.median(k[2] for _, k in pairs)
    floor_cpu = statistics.median(f[2] for f, _ in pairs)
    ratio = statistics.median(k[0] / f[0] for f, k in pairs)
    source, blobs, size = source_only(repo, runs)
    print(f"git cat-file --batch-all-objects --batch : {baseline:7.3f} s")
    print(
        f"keysweep git (full scan, json report)     : {wall:7.3f} s   ratio {wall / baseline:5.2f}x   peak RSS {rss / 1024:.0f} MiB"
    )
    print(f"  median of per-run ratios                : {ratio:5.2f}x   ({os.cpu_count()} cores)")
    print(f"  CPU seconds, all processes              : {cpu:7.3f} s   (floor {floor_cpu:.3f} s)")
    print(
        f"  git source alone (log pass + cat-file)  : {source:7.3f} s   ratio {source / baseline:5.2f}x   {blobs} unique blobs, {size / 2**20:.1f} MiB"
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
    args = parser.parse_args(argv)
    random.seed(0)
    if args.repo:
        bench(args.repo.resolve(), args.runs, None)
        return 0
    with tempfile.TemporaryDirectory(prefix="keysweep-bench-") as tmp:
        repo = Path(tmp) / "history"
        counts = generate(repo, args.commits)
        small = bench(repo, args.runs, counts["planted"])
        if args.memory_check:
            big_repo = Path(tmp) / "history-3x"
            big_counts = generate(big_repo, args.commits * 3)
            big = bench(big_repo, 1, big_counts["planted"])
            print(
                f"peak RSS at {args.commits} commits: {small['rss'] / 1024:.0f} MiB; "
                f"at {args.commits * 3}: {big['rss'] / 1024:.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
