"""Shared by the speed benchmarks: run a command N times, keep the median wall time.

Medians, not minima: the goal ratios in issue 6 are medians of 3, measured in the same run
as their baseline so machine load affects both sides alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def env() -> dict[str, str]:
    # Bytecode caching on, as for an installed package (PYTHONDONTWRITEBYTECODE would
    # recompile every module on every run).
    scrubbed = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    scrubbed["PYTHONPATH"] = str(ROOT) + os.pathsep + scrubbed.get("PYTHONPATH", "")
    return scrubbed


def run_once(
    cmd: Sequence[str], *, cwd: Path | None = None, ok: tuple[int, ...] = (0,), shell: bool = False
) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, largest process of the tree) of one run."""
    wall, rss, _cpu = run_measured(cmd, cwd=cwd, ok=ok, shell=shell)
    return wall, rss


def run_measured(
    cmd: Sequence[str], *, cwd: Path | None = None, ok: tuple[int, ...] = (0,), shell: bool = False
) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds of the whole process tree (user +
    system, workers and git included) of one run, output discarded."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd if not shell else " ".join(cmd),
        cwd=cwd,
        env=env(),
        shell=shell,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {code}: {err.decode(errors='replace')[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, usage.ru_maxrss, cpu


def median(cmd: Sequence[str], runs: int, **kw: object) -> tuple[float, int]:
    """Median wall time and the largest peak RSS over `runs` runs."""
    results = [run_once(cmd, **kw) for _ in range(runs)]  # type: ignore[arg-type]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def keysweep(*args: str) -> list[str]:
    return [sys.executable, "-m", "scanner", *args, "--no-progress"]


def warm_gate() -> None:
    """Build the pack's Hyperscan gate into the cache, as repeated scans end up with (a
    scan builds one only once 128 MiB went by without it): steady-state timings."""
    code = (
        "from scanner.rules import load_rule_pack; from scanner.engine.matcher import Matcher; "
        "Matcher([r for r in load_rule_pack() if r.pattern]).prepare()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=env())


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
