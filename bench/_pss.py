"""PSS of a whole process tree, sampled while it runs (Linux: /proc/PID/smaps_rollup).

PSS, not RSS: a forked worker shares its parent's pages (the rules, the pack index), and
RSS would count them once per process; PSS splits each shared page among its sharers, so
the sum over the tree is what the tree costs the machine.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TreePss:
    """Peak of the tree's summed PSS (KiB), and at that moment each process's (name, KiB)."""

    peak_kib: int = 0
    at_peak: list[tuple[str, int]] = field(default_factory=list)
    samples: int = 0
    wall: float = 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _pss(pid: int) -> tuple[str, int] | None:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    kib = next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    words = [w.decode(errors="replace") for w in cmdline if w]
    name = Path(words[0]).name if words else "?"
    if name.startswith("python") and "-m" in words:
        name = words[words.index("-m") + 1]
    elif name == "git":
        rest = iter(words[1:])
        for word in rest:
            if word in ("-c", "-C"):
                next(rest, None)
            elif not word.startswith("-"):
                name = f"git {word}"
                break
    return name, kib


def tree_pss(root: int) -> list[tuple[str, int]]:
    """(name, PSS KiB) of root and every descendant alive now."""
    out: list[tuple[str, int]] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        got = _pss(pid)
        if got is not None:
            out.append(got)
        todo.extend(_children(pid))
    return out


def measure_tree(cmd: Sequence[str], *, env: dict[str, str] | None = None, every: float = 0.05) -> TreePss:
    """Run cmd (output discarded) and sample its tree's PSS every `every` seconds."""
    result = TreePss()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            procs = tree_pss(proc.pid)
            total = sum(kib for _, kib in procs)
            result.samples += 1
            if total > result.peak_kib:
                result.peak_kib, result.at_peak = total, sorted(procs, key=lambda p: -p[1])
            done.wait(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    done.set()
    sampler.join()
    result.wall = time.perf_counter() - start
    return result
