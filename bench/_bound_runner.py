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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scanner.scan as pipeline  # noqa: E402
from scanner.cli import entry  # noqa: E402
from scanner.model import Blob  # noqa: E402
from scanner.sources.git.history import HistoryReader  # noqa: E402
from scanner.sources.git.pack import WalkTask  # noqa: E402
from scanner.sources.interface import Unit, Visit  # noqa: E402

_read = HistoryReader.read


def _no_walk(self: HistoryReader, unit: Unit, visit: Visit) -> None:
    """A walk task's blobs handed over empty, without reading them (bench only: it reads
    the walk's private trees)."""
    if not isinstance(unit, WalkTask):
        _read(self, unit, visit)
        return
    assert self.walk is not None
    pack = self.walk._packs[unit.pack]  # noqa: SLF001
    _roots, deltas, _weights = self.walk._trees[unit.pack]  # noqa: SLF001
    pending = list(unit.roots)
    while pending:
        position = pending.pop()
        visit(Blob(pack.oid(position).hex(), b""), None)
        pending.extend(deltas.of(position))


def _no_match(matcher: Any, blob: Blob, base: Any) -> list:
    return []


if __name__ == "__main__":
    bound = os.environ.get("KEYSWEEP_BOUND", "")
    if bound in ("nomatch", "nowalk"):
        pipeline.match_blob = _no_match  # type: ignore[assignment]
        if bound == "nowalk":
            HistoryReader.read = _no_walk  # type: ignore[method-assign]
    elif bound:
        raise SystemExit(f"unknown KEYSWEEP_BOUND {bound!r}")
    sys.argv[0] = "keysweep"
    entry()
