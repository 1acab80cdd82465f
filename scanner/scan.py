"""The pipeline: sources -> unique blobs -> matcher -> findings.

Blobs are deduplicated by id (a blob seen at several paths is matched once); matching
runs in this process or in `jobs` worker processes fed in batches, and the results are
merged in input order, so the output is the same whatever `jobs` is.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from scanner.engine.matcher import Matcher
from scanner.findings import Suppressor, build_findings, collapse
from scanner.model import Blob, BlobRef, Finding, Match, Rule, ScanStats, Skipped

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


def _init_worker(rules: tuple[Rule, ...], backend: str, matcher: Matcher | None, reader: Reader | None) -> None:
    """A forked worker inherits the parent's ready matcher (no recompiling, no reloading of
    the compiled databases); a spawned one builds its own (from the on-disk cache)."""
    global _worker_matcher, _worker_reader
    # Ctrl-C reaches the whole process group: the parent alone handles it (exit 130); a
    # worker that also raised KeyboardInterrupt would print one traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_matcher = matcher if matcher is not None else Matcher(rules, backend=backend)
    _worker_reader = reader


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
) -> ScanResult:
    """`reader` reads the content of BlobRef items, in whichever process matches them."""
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

    def handle(results: list[_Result]) -> None:
        nonlocal blobs, total_bytes, suppressed, baselined
        batch = in_flight.popleft()
        for (item, fresh), result in zip(batch, results, strict=True):
            if isinstance(result, Skipped):
                skipped.append(result)
                continue
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
        if on_progress is not None:
            on_progress(Progress(blobs, total_bytes))

    batches = unique(_batches(items, skipped))
    matcher = Matcher(rules, backend=backend)
    backend_name = matcher.backend
    if jobs <= 1:
        for batch in batches:
            handle(_match(matcher, batch, reader))
        warnings.extend(matcher.warnings)
    else:
        import multiprocessing

        # Fork before the source starts: a worker forked later would inherit the pipes of
        # the source's git processes and keep them open (git would never see end of input).
        fork = _can_fork()
        if fork:
            # Load the cached gate once for all workers; a small scan never compiles it.
            matcher.prepare(compile=False)
        context = multiprocessing.get_context("fork" if fork else "spawn")
        initargs = (rules, backend, matcher if fork else None, reader)
        with context.Pool(jobs, initializer=_init_worker, initargs=initargs) as pool:
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


def _can_fork() -> bool:
    import sys

    return sys.platform.startswith("linux")
