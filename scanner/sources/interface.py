"""What a source hands the scan pipeline (scanner.scan), and nothing more.

A source plans the scan as work units, small picklable values the workers read with the
source's `Reader`; reading a unit hands each blob (or a `Skipped`) to the pipeline's
`visit`, with the state `visit` returned for the blob it derives from. When every unit
is read, the source says which blobs count (`reaches`), where each was seen (`places`)
and what it left out itself (`skipped`). The same contract serves a whole history, a range of it, the staged
change, files on disk and standard input:

    plan = source.plan(jobs, matched, shared=fork)
    for unit in plan.units:                   # BARRIER: finish the units before it
        plan.reader.read(unit, visit)         # in a worker
    source.reaches(blob_id), source.places(blob_id), source.skipped(), source.close()
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from scanner.model import Blob, Provenance, Skipped

__all__ = ["BARRIER", "Plan", "Reader", "Source", "Unit", "Visit"]

# A work unit: any small picklable value its source's Reader understands.
Unit = Any

# Called by a reader for each blob it reads, bases before what derives from them: the
# blob (or why it was not read) and the state `visit` returned for the blob's base (None
# for a blob that derives from nothing); what it returns is kept for the blobs derived
# from this one. The pipeline's visit matches the blob; its state is the blob's matches.
Visit = Callable[[Blob | Skipped, Any], Any]


class _Barrier:
    def __repr__(self) -> str:
        return "BARRIER"


# In a plan's units: every unit before it is read (and its blobs matched) before the
# source is asked for the units after it, so those can leave out what is matched already.
BARRIER = _Barrier()


class Reader(Protocol):
    """Reads work units in a worker: forked workers share the source's memory, spawned
    ones get a pickled copy (so a reader planned with shared=False holds only what pickles)."""

    def read(self, unit: Unit, visit: Visit) -> None: ...


@dataclass(frozen=True)
class Plan:
    """The reader for every worker, the units, and about how many bytes the units will
    match when that is known up front (a large scan is worth preparing the matcher for)."""

    reader: Reader
    units: Iterator[Unit]
    size: int = 0


class Source(Protocol):
    """Something to scan: files, standard input, the staged change, or git history."""

    def plan(self, jobs: int, matched: Container[str], *, shared: bool) -> Plan:
        """The work units for `jobs` workers. `matched` holds the ids of the blobs matched
        so far (it grows while the units are read: a unit after a BARRIER can leave them
        out); `shared`: the workers are forked from this process."""
        ...

    def reaches(self, blob_id: str) -> bool:
        """Whether the blob is part of what is scanned: an object in a pack that no ref
        reaches is read (as a delta base) but neither reported nor counted."""
        ...

    def places(self, blob_id: str) -> tuple[Provenance, ...]:
        """Where the blob was seen, when the source knows better than its reader (history:
        every path and the commit that added it there); () keeps what the reader said."""
        ...

    def places_at(self, wanted: Callable[[str], bool]) -> dict[str, tuple[Provenance, ...]] | None:
        """Every blob seen at a path that `wanted` accepts, with its places at such paths,
        when the source knows them without asking each blob (history: a path-only rule reads
        a few of thousands of paths); None: ask `places` of each blob instead."""
        ...

    def skipped(self) -> Iterable[Skipped]:
        """What the source left out without reading it (too large, a submodule, missing)."""
        ...

    def close(self) -> None:
        """Stop what the source started (git processes), read or not."""
        ...
