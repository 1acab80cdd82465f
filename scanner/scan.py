"""The pipeline: a source's work units -> workers (read, match) -> unique blobs -> findings.

Workers read and match the units a source plans (scanner.sources.interface), in this
process or in `jobs` worker processes. What comes back is merged by blob id (a blob seen
at several paths, or read twice, counts once and is reported at every path), and findings
are built once every unit is in, so the report is the same whatever `jobs` is and
whatever order the workers finish in.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from scanner.engine.change import match_blob
from scanner.engine.matcher import Matcher
from scanner.engine.prefilter import GATE_AFTER_BYTES, GATE_COMPILE_AFTER_BYTES
from scanner.findings import Suppressor, build_findings, collapse, path_findings, settle
from scanner.model import Blob, Finding, Match, Provenance, Rule, ScanStats, Skipped
from scanner.sources.interface import BARRIER, Plan, Reader, Source, Unit

__all__ = ["Progress", "ScanResult", "scan"]


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
    # Blobs matched wholly and found clean in this scan, id -> size: a datastore keeps them
    # so that a later scan with the same rules need not match them again.
    clean: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Found:
    """What a worker sends back of a blob worth more than counting."""

    matches: tuple[Match, ...]
    provenance: tuple[Provenance, ...]
    warnings: tuple[str, ...]


@dataclass
class _UnitResult:
    """One unit's blobs: every blob's id and size, what is worth keeping, and the skips."""

    sizes: dict[str, int] = field(default_factory=dict)
    found: dict[str, _Found] = field(default_factory=dict)
    clean: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _unchecked(blob: Blob, unchecked: Sequence[tuple[str, str]]) -> list[Skipped]:
    """A skip per thing the matcher left unchecked in the blob (a user rule's time budget,
    the base64 cap of a line), each once."""
    path = blob.provenance[0].path if blob.provenance else ""  # "": named from the listing later
    return [Skipped(path, reason, detail, blob.id) for reason, detail in dict.fromkeys(unchecked)]


def _go_on() -> None:
    """In a worker: the parent alone handles Ctrl-C."""


class _Interrupt:
    """Ctrl-C while a destructor runs (the regex module's, mid-match) is swallowed by Python
    as "Exception ignored in __del__" and the scan would run to the end. Remembering it lets
    the scan stop at the next blob instead."""

    def __init__(self) -> None:
        self.seen = False
        self._before: object = None

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():  # only there can it be set
            self._before = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._before is not None:
            signal.signal(signal.SIGINT, self._before)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: object) -> None:
        self.seen = True
        raise KeyboardInterrupt

    def check(self) -> None:
        if self.seen:
            raise KeyboardInterrupt


def _work(
    matcher: Matcher,
    reader: Reader,
    unit: Unit,
    known: Container[str] = frozenset(),
    check: Callable[[], None] = _go_on,
) -> _UnitResult:
    """Read one unit and match its blobs (in a worker, or in this process); a blob in
    `known` was matched clean by an earlier scan with these rules, and is not matched again."""
    result = _UnitResult()

    def visit(item: Blob | Skipped, base: list[Match] | None) -> list[Match] | None:
        check()
        if isinstance(item, Skipped):
            result.skipped.append(item)
            return None
        if item.id in known:
            result.sizes[item.id] = len(item.data)
            _seen_at(result, item, [], ())  # its places still count, for path-only rules
            return []  # what matching it would give: nothing, the base for what derives from it
        before, unchecked = len(matcher.warnings), len(matcher.unchecked)
        matches = match_blob(matcher, item, base)
        result.sizes[item.id] = len(item.data)
        warnings = tuple(matcher.warnings[before:])
        skips = _unchecked(item, matcher.unchecked[unchecked:])
        result.skipped.extend(skips)
        if not (matches or skips or warnings):
            result.clean.append(item.id)
        _seen_at(result, item, matches, warnings)
        # A blob not wholly checked is no base for matching its successors by their change:
        # they are matched whole, and report what they leave unchecked themselves.
        return None if skips else matches

    reader.read(unit, visit)
    return result


def _seen_at(result: _UnitResult, item: Blob, matches: Sequence[Match], warnings: tuple[str, ...]) -> None:
    """Keep what a blob gave, with where it was seen."""
    if matches or item.provenance or warnings:
        earlier = result.found.get(item.id)
        provenance = earlier.provenance + item.provenance if earlier is not None else item.provenance
        result.found[item.id] = _Found(tuple(matches), provenance, warnings)


# Worker-process state: built once per worker by the pool initializer.
_worker: tuple[Matcher, Reader, Container[str]] | None = None


def _init_worker(
    rules: tuple[Rule, ...], backend: str, matcher: Matcher | None, reader: Reader, known: Container[str]
) -> None:
    """A forked worker inherits the parent's ready matcher (no recompiling, no reloading of
    the compiled databases); a spawned one builds its own (from the on-disk cache)."""
    global _worker
    # Ctrl-C reaches the whole process group: the parent alone handles it (exit 130); a
    # worker that also raised KeyboardInterrupt would print one traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = (matcher if matcher is not None else Matcher(rules, backend=backend), reader, known)


def _work_in_worker(unit: Unit) -> _UnitResult:
    assert _worker is not None
    return _work(_worker[0], _worker[1], unit, _worker[2])


class _Merged:
    """Everything the units sent back, by blob id."""

    def __init__(
        self,
        on_progress: Callable[[Progress], None] | None,
        check: Callable[[], None] = _go_on,
        known: Mapping[str, int] | None = None,
    ) -> None:
        self.check = check
        self.known: Mapping[str, int] = known or {}
        self.clean: dict[str, int] = {}
        self.sizes: dict[str, int] = {}
        self.found: dict[str, _Found] = {}
        self.skipped: list[Skipped] = []
        self.bytes = 0
        self._on_progress = on_progress

    def __len__(self) -> int:
        """How many blobs are matched so far, or known from an earlier scan."""
        return len(self.sizes) + len(self.known)

    def __contains__(self, blob_id: object) -> bool:
        """Read already, or matched clean by an earlier scan (a source leaves such blobs out
        of its later units)."""
        return blob_id in self.sizes or blob_id in self.known

    def add(self, result: _UnitResult) -> None:
        self.check()
        for blob_id, size in result.sizes.items():
            if blob_id not in self.sizes:
                self.sizes[blob_id] = size
                self.bytes += size
        for blob_id, found in result.found.items():
            known = self.found.get(blob_id)
            if known is not None:  # the same content read twice (two files): one blob, both paths
                found = _Found(known.matches, known.provenance + found.provenance, known.warnings)
            self.found[blob_id] = found
        for blob_id in result.clean:
            self.clean[blob_id] = result.sizes[blob_id]
        for skip in result.skipped:
            if skip.blob_id:
                self.sizes.setdefault(skip.blob_id, -1)  # handled: not to be read again
            self.skipped.append(skip)
        if self._on_progress is not None:
            self._on_progress(Progress(len(self.sizes), self.bytes))


def _run_units(units: Iterator[Unit], submit: Callable[[Unit], None], drain: Callable[[], None]) -> None:
    """Hand out every unit; at a BARRIER, wait until everything handed out is back."""
    for unit in units:
        if unit is BARRIER:
            drain()
        else:
            submit(unit)
    drain()


def _prepare(matcher: Matcher, plan: Plan, *, shared: bool) -> None:
    """`shared`: workers will fork from this process and share what is built here."""
    if plan.size >= GATE_COMPILE_AFTER_BYTES:
        # A scan this large is worth the gate's compile, once (it is cached on disk).
        matcher.prepare(patterns=shared)
    elif plan.size >= GATE_AFTER_BYTES:
        # A cached gate only (building one pays past GATE_COMPILE_AFTER_BYTES); the generic
        # patterns, which nearly every code base needs, once for all workers. Alone, this
        # process compiles only the patterns its gates let through.
        matcher.prepare(compile=False, patterns=shared)


def _run_inline(matcher: Matcher, source: Source, merged: _Merged) -> None:
    plan = source.plan(1, merged, shared=True)
    _prepare(matcher, plan, shared=False)
    _run_units(
        plan.units, lambda unit: merged.add(_work(matcher, plan.reader, unit, merged.known, merged.check)), lambda: None
    )


def _run_pool(matcher: Matcher, source: Source, merged: _Merged, jobs: int, backend: str) -> None:
    import multiprocessing

    fork = _can_fork()
    plan = source.plan(jobs, merged, shared=fork)
    _prepare(matcher, plan, shared=fork)
    if fork:
        # Load the cached gate once for all workers; a small scan never compiles it.
        matcher.prepare(compile=False)
    context = multiprocessing.get_context("fork" if fork else "spawn")
    initargs = (matcher.rules, backend, matcher if fork else None, plan.reader, merged.known)
    pending: deque = deque()
    limit = 4 * jobs + 16  # units in flight: all of a pack walk's tasks, and a queue behind

    def drain(keep: int = 0) -> None:
        while len(pending) > keep:
            merged.add(pending.popleft().get())

    with context.Pool(jobs, initializer=_init_worker, initargs=initargs) as pool:

        def submit(unit: Unit) -> None:
            pending.append(pool.apply_async(_work_in_worker, (unit,)))
            drain(limit)

        _run_units(plan.units, submit, drain)


def scan(
    source: Source,
    rules: Sequence[Rule],
    suppressor: Suppressor,
    *,
    jobs: int = 1,
    backend: str = "auto",
    on_progress: Callable[[Progress], None] | None = None,
    known: Mapping[str, int] | None = None,
) -> ScanResult:
    """Scan what `source` plans, with `jobs` workers (1: in this process). `known`: the
    blobs (id -> size) an earlier scan with the same rules matched clean (a datastore's)."""
    started = time.monotonic()
    rules = tuple(rules)
    # Path-only rules read no content: they are checked against the places once all are known.
    matcher = Matcher(tuple(rule for rule in rules if rule.pattern), backend=backend)
    with _Interrupt() as interrupt:
        merged = _Merged(on_progress, interrupt.check, known)
        if jobs <= 1:
            _run_inline(matcher, source, merged)
        else:
            _run_pool(matcher, source, merged, jobs, backend)
    return _result(source, merged, rules, suppressor, time.monotonic() - started, matcher.backend)


def _result(
    source: Source, merged: _Merged, rules: tuple[Rule, ...], suppressor: Suppressor, seconds: float, backend: str
) -> ScanResult:
    """Findings of every blob the source reaches, and the counts."""
    by_id = {rule.id: rule for rule in rules}
    findings: list[Finding] = []
    held: list[Finding] = []
    warnings: set[str] = set()
    suppressed = 0
    baselined: set[str] = set()
    blobs, total, reused = _counts(source, merged)
    for blob_id, found in merged.found.items():
        if not source.reaches(blob_id):
            continue
        warnings.update(found.warnings)
        if found.matches:
            blob = Blob(blob_id, b"", source.places(blob_id) or found.provenance)
            built, dropped, based, kept_back = build_findings(blob, found.matches, by_id, suppressor)
            findings.extend(built)
            held.extend(kept_back)
            suppressed += dropped
            baselined |= based
    skipped = [*source.skipped(), *_reached_skips(source, merged.skipped)]
    path_rules = [rule for rule in rules if not rule.pattern]
    if path_rules:
        # Each path is asked once: a history holds it at many commits.
        wanted = functools.cache(lambda path: any(suppressor.applies(rule, path) for rule in path_rules))
        places = _every_place(source, merged, skipped, wanted)
        built, dropped, based, kept_back = path_findings(places, path_rules, suppressor)
        findings.extend(built)
        held.extend(kept_back)
        suppressed += dropped
        baselined |= based
    findings, settled = settle(findings, held)
    suppressed += settled
    stats = ScanStats(
        blobs=blobs,
        bytes=total,
        suppressed=suppressed,
        baselined=len(baselined),
        seconds=seconds,
        skips=tuple(sorted(Counter(s.reason for s in skipped).items())),
        reused=reused,
    )
    reported = tuple(collapse(findings))
    return ScanResult(reported, stats, tuple(skipped), tuple(sorted(warnings)), backend, merged.clean)


def _counts(source: Source, merged: _Merged) -> tuple[int, int, int]:
    """Blobs and bytes the source reaches, and how many of those blobs an earlier scan had
    matched clean (read again or not: the counts are those of a full scan)."""
    blobs = total = reused = 0
    for blob_id, size in merged.sizes.items():
        if size >= 0 and source.reaches(blob_id):
            blobs += 1
            total += size
            reused += blob_id in merged.known
    for blob_id, size in merged.known.items():
        if blob_id not in merged.sizes and source.reaches(blob_id):  # left unread
            blobs += 1
            total += size
            reused += 1
    return blobs, total, reused


def _every_place(
    source: Source, merged: _Merged, skipped: Sequence[Skipped], wanted: Callable[[str], bool]
) -> list[Provenance]:
    """Every place at a path `wanted` accepts where the scan saw a file, read or skipped
    (binary, too large: a path-only rule flags `.p12` files, which are binary), each once."""
    places: dict[tuple[str, str | None], Provenance] = {}
    listed = source.places_at(wanted)
    if listed is not None:
        seen = [blob_id for blob_id in listed if blob_id in merged.sizes or blob_id in merged.known]
    else:
        # Blobs an earlier scan matched clean (a datastore) may be left unread: still seen.
        seen = [*merged.sizes, *(known for known in merged.known if known not in merged.sizes)]
    for blob_id in seen:
        if not source.reaches(blob_id):
            continue
        found = merged.found.get(blob_id)
        at = listed[blob_id] if listed is not None else source.places(blob_id)
        for place in at or (found.provenance if found is not None else ()):
            if wanted(place.path):
                places.setdefault((place.path, place.commit), place)
    for skip in skipped:
        if skip.path and skip.reason in ("binary", "too-large") and not skip.blob_id:
            places.setdefault((skip.path, None), Provenance(path=skip.path))
    return list(places.values())


def _reached_skips(source: Source, skipped: Sequence[Skipped]) -> Iterator[Skipped]:
    """The skips of blobs the source reaches, each once, named by the blob's first path."""
    seen: set[tuple[str, str, str]] = set()
    for skip in skipped:
        if not skip.blob_id:
            yield skip
            continue
        key = (skip.blob_id, skip.reason, skip.detail)
        if key in seen or not source.reaches(skip.blob_id):
            continue
        seen.add(key)
        places = source.places(skip.blob_id)
        yield Skipped(places[0].path, skip.reason, skip.detail, skip.blob_id) if places and not skip.path else skip


def _can_fork() -> bool:
    return sys.platform.startswith("linux")
