"""The pipeline: sources -> unique blobs -> matcher -> findings.

Blobs are deduplicated by id (a blob seen at several paths is matched once); matching
runs in this process or in `jobs` worker processes fed in batches, and the results are
merged in input order, so the output is the same whatever `jobs` is.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from scanner.engine.matcher import Matcher
from scanner.findings import Suppressor, build_findings, collapse
from scanner.model import Blob, Finding, Match, Rule, ScanStats, Skipped

__all__ = ["ScanResult", "Progress", "scan"]

_BATCH_BYTES = 4 * 1024 * 1024
_BATCH_ITEMS = 256


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


def _batches(items: Iterable[Blob | Skipped], skipped: list[Skipped]) -> Iterator[list[Blob]]:
    """Group blobs by size for the workers; Skipped items are set aside as they pass."""
    batch: list[Blob] = []
    size = 0
    for item in items:
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        batch.append(item)
        size += len(item.data)
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_ITEMS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


# Worker-process state: built once per worker by the pool initializer.
_worker_matcher: Matcher | None = None

# (blob without its data, byte count, first time this content was seen, matches)
_Outcome = tuple[Blob, int, bool, list[Match]]


def _init_worker(rules: tuple[Rule, ...], backend: str, matcher: Matcher | None) -> None:
    """A forked worker inherits the parent's ready matcher (no recompiling, no reloading of
    the compiled databases); a spawned one builds its own (from the on-disk cache)."""
    global _worker_matcher
    # Ctrl-C reaches the whole process group: the parent alone handles it (exit 130); a
    # worker that also raised KeyboardInterrupt would print one traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_matcher = matcher if matcher is not None else Matcher(rules, backend=backend)


def _match(matcher: Matcher, batch: list[tuple[Blob, bool]]) -> list[_Outcome]:
    return [
        (
            replace(blob, data=b""),
            len(blob.data),
            fresh,
            matcher.scan(blob.data, blob.id, where=_where(blob)) if fresh else [],
        )
        for blob, fresh in batch
    ]


def _where(blob: Blob) -> str:
    """The input named in matcher warnings: its first path, else its blob id."""
    return blob.provenance[0].path if blob.provenance and blob.provenance[0].path else f"blob {blob.id[:12]}"


def _match_in_worker(batch: list[tuple[Blob, bool]]) -> tuple[list[_Outcome], list[str]]:
    assert _worker_matcher is not None
    outcomes = _match(_worker_matcher, batch)
    warnings = list(_worker_matcher.warnings)
    _worker_matcher.warnings.clear()
    return outcomes, warnings


def scan(
    items: Iterable[Blob | Skipped],
    rules: Sequence[Rule],
    suppressor: Suppressor,
    *,
    jobs: int = 1,
    backend: str = "auto",
    on_progress: Callable[[Progress], None] | None = None,
) -> ScanResult:
    started = time.monotonic()
    rules = tuple(rules)
    by_id = {rule.id: rule for rule in rules}
    skipped: list[Skipped] = []
    findings: list[Finding] = []
    warnings: list[str] = []
    seen: set[str] = set()
    cache: dict[str, list[Match]] = {}
    blobs = total_bytes = suppressed = baselined = 0

    def unique(batches: Iterator[list[Blob]]) -> Iterator[list[tuple[Blob, bool]]]:
        for batch in batches:
            marked = []
            for blob in batch:
                fresh = blob.id not in seen
                seen.add(blob.id)
                marked.append((blob if fresh else replace(blob, data=b""), fresh))
            yield marked

    def handle(outcomes: list[_Outcome]) -> None:
        nonlocal blobs, total_bytes, suppressed, baselined
        for blob, size, fresh, matches in outcomes:
            if fresh:
                blobs += 1
                total_bytes += size
                if matches:
                    cache[blob.id] = matches
            else:
                # Same content at another path: matched once, reported at every path.
                matches = cache.get(blob.id, [])
            if matches:
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
            handle(_match(matcher, batch))
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
        initargs = (rules, backend, matcher if fork else None)
        with context.Pool(jobs, initializer=_init_worker, initargs=initargs) as pool:
            # imap keeps input order: the output is the same whatever the worker count.
            for outcomes, worker_warnings in pool.imap(_match_in_worker, batches, chunksize=1):
                handle(outcomes)
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
