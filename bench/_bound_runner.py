"""`keysweep` with part of the history scan's work taken out (for bench_bounds.py only).

    KEYSWEEP_BOUND=nomatch python bench/_bound_runner.py git REPO ...   # walk, no matching
    KEYSWEEP_BOUND=nowalk  python bench/_bound_runner.py git REPO ...   # neither

Everything else (start-up, pack index, listing, report) runs as in a real scan: the times
measured are what the scan would take if matching (or the walk too) cost nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scanner.scan as pipeline  # noqa: E402
from scanner.cli import entry  # noqa: E402
from scanner.engine.matcher import Matcher  # noqa: E402
from scanner.sources.pack import PackedBlob, PackWalk, WalkTask  # noqa: E402


def _walk_without_matching(matcher: Matcher, walk: PackWalk, task: WalkTask) -> pipeline._Walked:
    """Every blob rebuilt as the scan does, none matched (each reported as walked, clean)."""
    oids = bytearray()
    count = total = 0

    def visit(blob: PackedBlob, previous: None) -> None:
        nonlocal count, total
        oids.extend(blob.oid)
        count += 1
        total += len(blob.data)

    walk.walk(task, visit)
    return pipeline._Walked(bytes(oids), {}, count, total, ())


def _no_walk(matcher: Matcher, walk: PackWalk, task: WalkTask) -> pipeline._Walked:
    """The task's blobs reported as walked, clean, without reading them."""
    pack = walk._packs[task.pack]
    _roots, children, _weights = walk._trees[task.pack]
    oids = bytearray()
    pending = list(task.roots)
    while pending:
        position = pending.pop()
        oids.extend(pack.oid(position))
        pending.extend(children.get(position, ()))
    return pipeline._Walked(bytes(oids), {}, 0, 0, ())


if __name__ == "__main__":
    bound = os.environ.get("KEYSWEEP_BOUND", "")
    if bound == "nomatch":
        pipeline._walk = _walk_without_matching
    elif bound == "nowalk":
        pipeline._walk = _no_walk
    elif bound:
        raise SystemExit(f"unknown KEYSWEEP_BOUND {bound!r}")
    sys.argv[0] = "keysweep"
    entry()
