"""Git history as a source: every unique blob the selected commits added, each read once.

One `git log --raw` pass lists the blobs and where each was added (scanner.sources.git.
listing); it starts when the source is made, so git walks while the caller loads rules
and starts workers. For the whole history the workers first read the repository's packs
in pack order (scanner.sources.git.pack: each object inflated once, each delta applied
once, and matched by what the delta changed) while this process reads the listing; then
the listed blobs no pack walk read go through `git cat-file`, every version of a file
in one batch, each matched by what changed from the version before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import SourceError
from scanner.model import Blob, Provenance, Skipped
from scanner.sources.git.catfile import CatBatch, CatFileReader
from scanner.sources.git.listing import Listing, log_args, read_listing, start_log
from scanner.sources.git.pack import PackedBlob, PackWalk, WalkTask, open_packs
from scanner.sources.git.process import run
from scanner.sources.git.refs import tagged_blobs
from scanner.sources.git.repo import object_format
from scanner.sources.interface import BARRIER, Plan, Unit, Visit
from scanner.sources.text import is_binary, normalize_text

__all__ = ["HistoryReader", "HistorySource", "history_packs"]

# A cat-file batch: at most this many bytes or blobs (each batch costs its worker one
# `git cat-file` start; a file's versions kept together are matched by their changes).
_log = logging.getLogger(__name__)
_BATCH_BYTES = 16 * 1024 * 1024
_BATCH_ITEMS = 1024


@dataclass(frozen=True)
class HistoryReader:
    """Reads a history's units: pack walk tasks (forked workers only: they share the walk)
    and cat-file batches."""

    catfile: CatFileReader
    walk: PackWalk | None

    def read(self, unit: Unit, visit: Visit) -> None:
        if isinstance(unit, WalkTask):
            assert self.walk is not None
            self.walk.walk(unit, lambda packed, state: self._packed(packed, state, visit))
        else:
            assert isinstance(unit, CatBatch)
            self.catfile.read(unit, visit)

    def _packed(self, packed: PackedBlob, state: Any, visit: Visit) -> Any:
        """Visit a blob of the walk; returns the state for the deltas built on it."""
        assert self.walk is not None
        if len(packed.data) > self.walk.max_blob:
            return None  # the listing skips it as too large
        oid = packed.oid.hex()
        if is_binary(packed.data):
            visit(Skipped("", "binary", f"blob {oid}, {len(packed.data)} bytes", blob_id=oid), None)
            return None
        data = normalize_text(packed.data)
        if data is not packed.data:
            # Transcoded: the deltas built on it are in its stored bytes, not these.
            visit(Blob(oid, data), None)
            return None
        return visit(Blob(oid, data, (), packed.derivation if state is not None else None), state)


class HistorySource:
    """The blobs that the selected commits of `repo` added. refs None means every ref
    (`--all`: branches, tags, remotes, stash, HEAD); `since` scans `since..HEAD` (or
    `since..REF` for each of refs); `rev_range` is an `A..B` range; `new_only` keeps of
    refs only what no ref reaches yet (a pre-receive hook's pushed commits). `git log` starts
    now: a bad revision fails here, not when the scan starts."""

    def __init__(
        self,
        repo: Path,
        *,
        refs: Sequence[str] | None = None,
        since: str | None = None,
        rev_range: str | None = None,
        new_only: bool = False,
        max_file_size: int,
    ) -> None:
        self._repo = Path(repo)
        self._whole = refs is None and since is None and rev_range is None and not new_only
        # The log holds every commit of the refs' histories (of the first ref's, the one a
        # finding's standing is judged at): scanner.sources.git.standing reads it again.
        self._holds_ref_history = since is None and rev_range is None and not new_only
        self._max_file_size = max_file_size
        stashes = _stash_commits(self._repo) if self._whole else []
        self._log = start_log(self._repo, log_args(refs, since, rev_range, stashes, new_only=new_only))
        self._listing: Listing | None = None

    def plan(self, jobs: int, matched: Container[str], *, shared: bool) -> Plan:
        # The packs are walked only for the whole history, by workers that share the walk, and
        # only when nothing is matched yet: when a datastore knows the blobs of an earlier
        # scan, rebuilding every blob of every pack to match the few new ones costs more
        # than reading those few through cat-file.
        earlier = len(matched) if isinstance(matched, Sized) else 0
        whole = self._whole and shared and not earlier
        walk = history_packs(self._repo, self._max_file_size) if whole else None
        if walk is not None:
            _log.info("history: walking the packs (%d bytes) while git log lists the blobs", walk.size)
        elif earlier:
            _log.info("history: %d blobs matched before; reading only the others through cat-file", earlier)
        reader = HistoryReader(CatFileReader(self._repo), walk)
        return Plan(reader, self._units(jobs, matched, walk), walk.size if walk is not None else 0)

    def _units(self, jobs: int, matched: Container[str], walk: PackWalk | None) -> Iterator[Unit]:
        if walk is not None:
            yield from walk.tasks(jobs)
        # Read while the workers walk; then only what the walk did not read is left.
        tagged = tagged_blobs(self._repo) if self._whole else ()
        self._listing = read_listing(self._repo, self._log, self._max_file_size, tagged)
        _log.info("history: git log listed %d blobs to read", len(self._listing.to_read))
        yield BARRIER
        yield from _batches(self._listing, matched)

    def reaches(self, blob_id: str) -> bool:
        return self._listing is not None and self._listing.reaches(bytes.fromhex(blob_id))

    def places(self, blob_id: str) -> tuple[Provenance, ...]:
        found = self._listing.places(bytes.fromhex(blob_id)) if self._listing is not None else None
        return found or ()

    def places_at(self, wanted: Callable[[str], bool]) -> dict[str, tuple[Provenance, ...]] | None:
        return self._listing.places_at(wanted) if self._listing is not None else None

    def changes_at(self, paths: Iterable[str]) -> list[tuple[str, str, str, str]] | None:
        """(commit, path, old blob, new blob) of every change at `paths` in the log that
        listed the blobs (merges: from their first parent), when that log was of the whole
        history of the refs scanned and is kept; else None. Before close()."""
        if not self._holds_ref_history or self._listing is None:
            return None
        wanted = {path.encode("utf-8", "surrogateescape"): path for path in paths}
        entries = self._log.entries_at(wanted)
        if entries is None:
            return None
        return [(commit, wanted[path], old, new) for commit, path, old, new in entries]

    def skipped(self) -> Iterable[Skipped]:
        return self._listing.skipped if self._listing is not None else ()

    def close(self) -> None:
        self._log.close()


def _batches(listing: Listing, matched: Container[str]) -> Iterator[CatBatch]:
    """The listed blobs not matched yet, in the listing's order, cut into batches; each
    names its previous version as its base when that is read earlier in its batch."""
    keys = listing.history.keys
    entries: list[tuple[str, str, str]] = []
    in_batch: set[int] = set()
    size = 0
    for position, blob_size in listing.to_read:
        oid = keys[position].hex()
        if oid in matched:
            continue
        base = listing.base(position)
        entries.append((oid, listing.first_path(position), keys[base].hex() if base in in_batch else ""))
        in_batch.add(position)
        size += blob_size
        if size >= _BATCH_BYTES or len(entries) >= _BATCH_ITEMS:
            yield CatBatch(tuple(entries))
            entries, in_batch, size = [], set(), 0
    if entries:
        yield CatBatch(tuple(entries))


def history_packs(repo: Path, max_file_size: int) -> PackWalk | None:
    """The walk over the repository's own packs; None where they cannot be read here."""
    found = object_format(repo)
    if found is None or found[1] != "sha1":
        return None
    return open_packs(found[0] / "objects", max_file_size)


def _stash_commits(repo: Path) -> list[str]:
    """Every stash entry: `--all` reaches only the newest (refs/stash); the rest live in its reflog."""
    try:
        out = run(repo, "reflog", "show", "--format=%H", "refs/stash", "--")
    except SourceError:
        return []  # no stash
    return [line for line in out.decode("ascii", "replace").split() if len(line) in (40, 64)]
