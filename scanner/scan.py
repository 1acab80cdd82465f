"""The pipeline: sources -> unique blobs -> matcher -> findings.

Blobs are deduplicated by id (a blob seen at several paths is matched once); matching
runs in this process or in `jobs` worker processes fed in batches, and the results are
merged in input order, so the output is the same whatever `jobs` is.
"""

from __future__ import annotations

import itertools
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from scanner.engine.matcher import Matcher
from scanner.engine.prefilter import GATE_AFTER_BYTES
from scanner.findings import Suppressor, build_findings, collapse
from scanner.model import Blob, BlobRef, Finding, Match, Rule, ScanStats, Skipped
from scanner.sources import is_binary, normalize_text
from scanner.sources.pack import PackedBlob, PackWalk, WalkTask

__all__ = ["Item", "Reader", "ScanResult", "Progress", "scan"]

_BATCH_BYTES = 4 * 1024 * 1024
_BATCH_ITEMS = 256
_REF_BATCH_BYTES = 16 * 1024 * 1024
_REF_BATCH_ITEMS = 1024


@dataclass(frozen=True)
class Progress:
    blobs: int
    bytes: int


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    stats: ScanStats
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    backend: str


# What a source yields, and what reads the content of its BlobRefs (in the matching process).
Item = Blob | BlobRef | Skipped
Reader = Callable[[Sequence[BlobRef]], Iterable[Blob | Skipped]]
# (item without content, first time this content was seen), in input order
_Batch = list[tuple[Blob | BlobRef, bool]]
# per batch item: (bytes scanned, matches), or why it was not scanned
_Result = tuple[int, list[Match]] | Skipped


def _batches(items: Iterable[Item], skipped: list[Skipped]) -> Iterator[list[Blob | BlobRef]]:
    """Group blobs by size for the workers; Skipped items are set aside as they pass.
    BlobRef batches are larger: each costs its worker one `git cat-file` start."""
    batch: list[Blob | BlobRef] = []
    size = 0
    for item in items:
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        batch.append(item)
        if isinstance(item, BlobRef):
            size += item.size
            full = size >= _REF_BATCH_BYTES or len(batch) >= _REF_BATCH_ITEMS
        else:
            size += len(item.data)
            full = size >= _BATCH_BYTES or len(batch) >= _BATCH_ITEMS
        if full:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


# Worker-process state: built once per worker by the pool initializer.
_worker_matcher: Matcher | None = None
_worker_reader: Reader | None = None
_worker_walk: PackWalk | None = None


def _init_worker(
    rules: tuple[Rule, ...], backend: str, matcher: Matcher | None, reader: Reader | None, walk: PackWalk | None
) -> None:
    """A forked worker inherits the parent's ready matcher (no recompiling, no reloading of
    the compiled databases) and pack walk; a spawned one builds its own matcher (from the
    on-disk cache) and never walks."""
    global _worker_matcher, _worker_reader, _worker_walk
    # Ctrl-C reaches the whole process group: the parent alone handles it (exit 130); a
    # worker that also raised KeyboardInterrupt would print one traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_matcher = matcher if matcher is not None else Matcher(rules, backend=backend)
    _worker_reader = reader
    _worker_walk = walk


@dataclass(frozen=True)
class _Walked:
    """What one pack walk task found: the ids of every blob it matched (20 bytes each), and
    the results worth sending back (matches, binary, or transcoded: size differs)."""

    oids: bytes
    results: dict[bytes, _Result]
    blobs: int
    bytes: int
    warnings: tuple[str, ...]


def _walk(matcher: Matcher, walk: PackWalk, task: WalkTask) -> _Walked:
    """Match every blob of the task's delta trees: a blob built by a delta from one already
    matched is matched by its edit (Matcher.scan_edit), the rest whole."""
    oids = bytearray()
    results: dict[bytes, _Result] = {}
    count = total = 0

    def visit(blob: PackedBlob, previous: list[Match] | None) -> list[Match] | None:
        nonlocal count, total
        if len(blob.data) > walk.max_blob:
            return None  # the listing skips it as too large
        oids.extend(blob.oid)
        blob_id = blob.oid.hex()
        if is_binary(blob.data):
            results[blob.oid] = Skipped("", "binary")
            return None
        data = normalize_text(blob.data)
        where = f"blob {blob_id[:12]}"
        if previous is not None and blob.edit is not None and data is blob.data:
            matches = matcher.scan_edit(data, blob_id, blob.edit, previous, where=where)
        else:
            matches = matcher.scan(data, blob_id, where=where)
        count += 1
        total += len(data)
        if matches or data is not blob.data:
            results[blob.oid] = (len(data), matches)
        # The edits of deltas built from it are in its stored bytes, not transcoded ones.
        return matches if data is blob.data else None

    walk.walk(task, visit)
    warnings = tuple(matcher.warnings)
    matcher.warnings.clear()
    return _Walked(bytes(oids), results, count, total, warnings)


def _walk_in_worker(task: WalkTask) -> _Walked:
    assert _worker_matcher is not None and _worker_walk is not None
    return _walk(_worker_matcher, _worker_walk, task)


def _match(matcher: Matcher, batch: _Batch, reader: Reader | None) -> list[_Result]:
    """Read the batch's fresh BlobRefs (one reader call) and match every fresh blob.

    A BlobRef with a base (the previous version of its file) is matched by its change: the
    base is read too, unless the batch reads it before (a file's versions are listed
    together, oldest first), and kept only until the blobs that need it are matched.
    """
    refs = [item for item, fresh in batch if fresh and isinstance(item, BlobRef)]
    if refs and reader is None:
        raise ValueError("BlobRef items need a reader")
    uses: dict[str, int] = {}
    listed: set[str] = set()
    extra: list[BlobRef] = []
    for ref in refs:
        if ref.base is not None:
            if ref.base not in listed and ref.base not in uses:
                extra.append(BlobRef(ref.base, 0))
            uses[ref.base] = uses.get(ref.base, 0) + 1
        listed.add(ref.id)
    loaded = iter(reader(extra + refs)) if refs and reader is not None else iter(())
    bases: dict[str, bytes] = {}
    for ref in extra:
        blob = next(loaded)
        if isinstance(blob, Blob):
            bases[ref.id] = blob.data
    results: list[_Result] = []
    for item, fresh in batch:
        if not fresh:
            results.append((0, []))
            continue
        blob = next(loaded) if isinstance(item, BlobRef) else item
        if isinstance(blob, Skipped):
            results.append(blob)
            continue
        base = None
        if isinstance(item, BlobRef) and item.base is not None:
            base = bases.get(item.base)
            uses[item.base] -= 1
            if not uses[item.base]:
                bases.pop(item.base, None)
        if uses.get(blob.id):
            bases[blob.id] = blob.data
        results.append((len(blob.data), matcher.scan(blob.data, blob.id, where=_where(blob), base=base)))
    return results


def _where(blob: Blob | BlobRef) -> str:
    """The input named in matcher warnings: its first path, else its blob id."""
    return blob.provenance[0].path if blob.provenance and blob.provenance[0].path else f"blob {blob.id[:12]}"


def _match_in_worker(batch: _Batch) -> tuple[list[_Result], list[str]]:
    assert _worker_matcher is not None
    results = _match(_worker_matcher, batch, _worker_reader)
    warnings = list(_worker_matcher.warnings)
    _worker_matcher.warnings.clear()
    return results, warnings


def _for_worker(item: Blob | BlobRef) -> Blob | BlobRef:
    """What a worker needs of a BlobRef: id, size, first path (for warnings and skips)."""
    if isinstance(item, BlobRef) and len(item.provenance) > 1:
        return replace(item, provenance=item.provenance[:1])
    return item


def scan(
    items: Iterable[Item],
    rules: Sequence[Rule],
    suppressor: Suppressor,
    *,
    jobs: int = 1,
    backend: str = "auto",
    on_progress: Callable[[Progress], None] | None = None,
    reader: Reader | None = None,
    packs: Callable[[], PackWalk | None] | None = None,
) -> ScanResult:
    """`reader` reads the content of BlobRef items, in whichever process matches them.

    `packs` opens the repository's pack walk (scanner.sources.pack), for a scan of the
    whole history: its blobs are matched in pack order while the listing is read, and only
    the listed blobs no pack holds are read through `reader`. Same result either way.
    """
    started = time.monotonic()
    rules = tuple(rules)
    by_id = {rule.id: rule for rule in rules}
    skipped: list[Skipped] = []
    findings: list[Finding] = []
    warnings: list[str] = []
    seen: set[str] = set()
    cache: dict[str, list[Match]] = {}
    blobs = total_bytes = suppressed = baselined = 0
    # The batches in flight, content dropped: results come back in the same order.
    in_flight: deque[_Batch] = deque()

    def unique(batches: Iterator[list[Blob | BlobRef]]) -> Iterator[_Batch]:
        for batch in batches:
            marked: _Batch = []
            kept: _Batch = []
            for item in batch:
                fresh = item.id not in seen
                seen.add(item.id)
                stripped = replace(item, data=b"") if isinstance(item, Blob) else item
                marked.append((_for_worker(item if fresh else stripped), fresh))
                kept.append((stripped, fresh))
            in_flight.append(kept)
            yield marked

    def record(item: Blob | BlobRef, fresh: bool, result: _Result) -> None:
        nonlocal blobs, total_bytes, suppressed, baselined
        if isinstance(result, Skipped):
            skipped.append(result)
            return
        size, matches = result
        if fresh:
            blobs += 1
            total_bytes += size
            if matches:
                cache[item.id] = matches
        else:
            # Same content at another path: matched once, reported at every path.
            matches = cache.get(item.id, [])
        if matches:
            blob = item if isinstance(item, Blob) else Blob(item.id, b"", item.provenance)
            found, dropped, base = build_findings(blob, matches, by_id, suppressor)
            findings.extend(found)
            suppressed += dropped
            baselined += base

    def handle(results: list[_Result]) -> None:
        batch = in_flight.popleft()
        for (item, fresh), result in zip(batch, results, strict=True):
            record(item, fresh, result)
        if on_progress is not None:
            on_progress(Progress(blobs, total_bytes))

    walked: set[bytes] = set()  # raw ids of the blobs the pack walk matched
    answers: dict[bytes, _Result] = {}

    def take(walks: Iterable[_Walked]) -> None:
        """Gather the pack walk's answers (progress: what the walk has matched so far)."""
        count = size = 0
        for done in walks:
            oids = done.oids
            walked.update(oids[at : at + 20] for at in range(0, len(oids), 20))
            answers.update(done.results)
            warnings.extend(w for w in done.warnings if w not in warnings)
            count += done.blobs
            size += done.bytes
            if on_progress is not None:
                on_progress(Progress(count, size))

    def unwalked(listed: Iterable[Item]) -> Iterator[Item]:
        """The listing, with each blob the walk matched recorded here: the rest go on to
        be read and matched in batches. Blobs it matched with nothing found are left out
        of a history listing (settled), which only counts them."""
        nonlocal blobs, total_bytes
        for item in listed:
            if not isinstance(item, BlobRef) or (raw := bytes.fromhex(item.id)) not in walked:
                yield item
                continue
            fresh = item.id not in seen
            seen.add(item.id)
            result = answers.get(raw, (item.size, []))
            if isinstance(result, Skipped):
                where = item.provenance[0].path if item.provenance else ""
                result = Skipped(where, "binary", f"blob {item.id}, {item.size} bytes")
            record(item, fresh, result)
        left_out = getattr(items, "left_out", None)
        if left_out is not None:
            count, size = left_out()
            blobs += count
            total_bytes += size

    matcher = Matcher(rules, backend=backend)
    backend_name = matcher.backend
    fork = _can_fork()
    # The walk is built before workers fork: they share it (a spawned worker could not).
    walk = packs() if packs is not None and (jobs <= 1 or fork) else None
    if walk is not None and walk.size >= GATE_AFTER_BYTES:
        # A history this large is worth the gate's compile, once (it is cached on disk).
        matcher.prepare()
    if jobs <= 1:
        if walk is not None:
            take(_walk(matcher, walk, task) for task in walk.tasks(1))
            _settle(items, walked.difference(answers))
        for batch in unique(_batches(unwalked(items), skipped)):
            handle(_match(matcher, batch, reader))
        warnings.extend(w for w in matcher.warnings if w not in warnings)
    else:
        import multiprocessing

        # Fork before the source starts: a worker forked later would inherit the pipes of
        # the source's git processes and keep them open (git would never see end of input).
        if fork:
            # Load the cached gate once for all workers; a small scan never compiles it.
            matcher.prepare(compile=False)
        context = multiprocessing.get_context("fork" if fork else "spawn")
        initargs = (rules, backend, matcher if fork else None, reader, walk)
        with context.Pool(jobs, initializer=_init_worker, initargs=initargs) as pool:
            listed = iter(items)
            if walk is not None:
                running = pool.imap_unordered(_walk_in_worker, walk.tasks(jobs), chunksize=1)
                # The first item ends the listing's `git log` pass: read while the workers walk.
                first = next(listed, None)
                take(running)
                _settle(items, walked.difference(answers))
                listed = itertools.chain([first] if first is not None else [], listed)
            batches = unique(_batches(unwalked(listed), skipped))
            # imap keeps input order: the output is the same whatever the worker count.
            for results, worker_warnings in pool.imap(_match_in_worker, batches, chunksize=1):
                handle(results)
                warnings.extend(w for w in worker_warnings if w not in warnings)

    stats = ScanStats(
        blobs=blobs,
        bytes=total_bytes,
        skipped_binary=sum(1 for s in skipped if s.reason == "binary"),
        skipped_large=sum(1 for s in skipped if s.reason == "too-large"),
        skipped_other=sum(1 for s in skipped if s.reason not in ("binary", "too-large")),
        suppressed=suppressed,
        baselined=baselined,
        seconds=time.monotonic() - started,
    )
    return ScanResult(tuple(collapse(findings)), stats, tuple(skipped), tuple(warnings), backend_name)


def _settle(items: Iterable[Item], ids: set[bytes]) -> None:
    """Tell a source that can leave blobs out (a history listing: HistoryListing.settle)
    which blobs are matched already, with nothing found (raw ids): it only counts them."""
    settle = getattr(items, "settle", None)
    if settle is not None:
        settle(ids)


def _can_fork() -> bool:
    import sys

    return sys.platform.startswith("linux")
