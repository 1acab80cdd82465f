"""Sources seen another way, for the audits in bench/ and for tests: every item read in
this process, the pack walk switched off, or every blob matched whole.

Each audit compares a scan with one of these against the ordinary scan: the report of a
history must not depend on how its blobs were read or matched.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import replace
from typing import Any

from scanner.model import Blob, Skipped
from scanner.sources.interface import BARRIER, Plan, Reader, Source, Unit, Visit

__all__ = ["WholeBlobs", "WithoutPacks", "read_items"]


def read_items(source: Source, *, shared: bool = False) -> list[Blob | Skipped]:
    """Every item the source's units hand over, read in this process: the source's own
    skips first, then each Blob with the provenance the source knows for it (derivations
    dropped). With shared=False a history is read through `git cat-file`, as spawned
    workers read it. The source is closed."""
    read: list[Blob | Skipped] = []
    done: set[str] = set()

    def visit(item: Blob | Skipped, base: Any) -> list[Any]:
        read.append(item)
        done.add(item.id if isinstance(item, Blob) else item.blob_id)
        return []

    try:
        plan = source.plan(1, done, shared=shared)
        for unit in plan.units:
            if unit is not BARRIER:
                plan.reader.read(unit, visit)
        items: list[Blob | Skipped] = list(source.skipped())
        for item in read:
            if isinstance(item, Blob):
                item = replace(item, provenance=source.places(item.id) or item.provenance, derivation=None)
            items.append(item)
        return items
    finally:
        source.close()


class WithoutPacks:
    """A source as spawned workers see it: its plan never shares this process's memory, so
    a history is read through `git cat-file` (each version by its change), never from packs."""

    def __init__(self, source: Any) -> None:
        self._source = source

    def plan(self, jobs: int, matched: Container[str], *, shared: bool) -> Plan:
        return self._source.plan(jobs, matched, shared=False)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


class WholeBlobs(WithoutPacks):
    """A source whose blobs are all matched whole: what every change scan must equal."""

    def plan(self, jobs: int, matched: Container[str], *, shared: bool) -> Plan:
        inner: Plan = self._source.plan(jobs, matched, shared=shared)
        return Plan(_Underived(inner.reader), inner.units, inner.size)


class _Underived:
    """A reader whose blobs derive from nothing."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    def read(self, unit: Unit, visit: Visit) -> None:
        def whole(item: Blob | Skipped, base: Any) -> Any:
            return visit(replace(item, derivation=None) if isinstance(item, Blob) else item, None)

        self._reader.read(unit, whole)
