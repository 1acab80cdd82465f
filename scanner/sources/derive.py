"""How one version of a file derives from another, found by comparing the two.

Blobs read from git's packs come with their delta (scanner.sources.git.pack); blobs read
one by one (`git cat-file`) do not, so for each version after the first its derivation
from the previous version is found here: the common start and end, and, inside a long
changed span, runs of it that the old version holds too. Everything else counts as
inserted. The result only has to be true (every copied byte is equal to the base's at its
origin), not minimal: what it leaves out as inserted is matched again.
"""

from __future__ import annotations

from scanner.model import Derivation

__all__ = ["common_prefix", "common_suffix", "derive", "GRAIN"]

# Common runs are measured to within this many bytes (fewer memcmp rounds).
GRAIN = 64
# A changed span this long is split where a run of it (grown from one line of at least
# _ANCHOR_BYTES) is found in the old version too; at most _MAX_SPANS spans a blob.
_SPLIT_BYTES = 2048
_ANCHOR_BYTES = 16
_ANCHOR_TRIES = 8
_ANCHOR_REACH = 64 * 1024
_MAX_SPANS = 32


def _forward(a: bytes, a_start: int, b: bytes, b_start: int, limit: int) -> int:
    """A length (at most `limit`) over which a[a_start:] and b[b_start:] are equal: the
    whole common run, or less by under GRAIN bytes (a shorter run only widens the change).
    A binary search of memcmp calls: startswith on a memoryview compares in place."""
    view = memoryview(b)
    if a.startswith(view[b_start : b_start + limit], a_start):
        return limit  # the common case of an append: one call
    low, high = 0, limit
    while high - low > GRAIN:
        middle = (low + high) // 2
        if a.startswith(view[b_start + low : b_start + middle], a_start + low):
            low = middle
        else:
            high = middle
    return low


def _backward(a: bytes, a_end: int, b: bytes, b_end: int, limit: int) -> int:
    """As _forward, for the runs that end at a[a_end] and b[b_end]."""
    view = memoryview(b)
    if a.endswith(view[b_end - limit : b_end], 0, a_end):
        return limit
    low, high = 0, limit
    while high - low > GRAIN:
        middle = (low + high) // 2
        if a.endswith(view[b_end - middle : b_end - low], 0, a_end - low):
            low = middle
        else:
            high = middle
    return low


def common_prefix(a: bytes, b: bytes) -> int:
    """A length over which a and b start alike (see _forward)."""
    return _forward(a, 0, b, 0, min(len(a), len(b)))


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """A length (at most `limit`) over which a and b end alike."""
    return _backward(a, len(a), b, len(b), limit)


def _anchor(new: bytes, start: int, end: int, old: bytes, old_start: int, old_end: int) -> tuple[int, int, int] | None:
    """A run of new[start:end] that old[old_start:old_end] holds too, grown from a line near
    the middle: (its start in new, its start in old, its length), or None."""
    line_start = new.find(b"\n", (start + end) // 2, end) + 1
    for _ in range(_ANCHOR_TRIES):
        if line_start <= 0 or line_start >= end:
            return None
        line_end = new.find(b"\n", line_start, end) + 1
        if line_end <= 0:
            return None
        if line_end - line_start >= _ANCHOR_BYTES:
            # Looked for near where it sits in new (edits shift text a little): a big file
            # changed all over costs _ANCHOR_REACH per try, not a search of the whole file.
            near = old_start + (line_start - start)
            found = old.find(
                new[line_start:line_end], max(old_start, near - _ANCHOR_REACH), min(old_end, near + _ANCHOR_REACH)
            )
            if found >= 0:
                left = _backward(new, line_start, old, found, min(line_start - start, found - old_start))
                size = line_end - line_start
                right = _forward(new, line_end, old, found + size, min(end - line_end, old_end - found - size))
                return line_start - left, found - left, left + size + right
        line_start = line_end
    return None


def _copies(new: bytes, old: bytes) -> list[tuple[int, int, int]]:
    """Runs of `new` that `old` holds, as (start, end, origin), sorted and disjoint: the
    common start and end, and anchors split out of long changed spans between them."""
    prefix = common_prefix(new, old)
    suffix = common_suffix(new, old, min(len(new), len(old)) - prefix)
    copies = [(0, prefix, 0), (len(new) - suffix, len(new), len(old) - suffix)]
    pending = [(prefix, len(new) - suffix, prefix, len(old) - suffix)]
    spans = 0
    while pending:
        start, end, old_start, old_end = pending.pop()
        found = None
        if end - start >= _SPLIT_BYTES and spans + len(pending) < _MAX_SPANS:
            found = _anchor(new, start, end, old, old_start, old_end)
        if found is None or found[2] < _SPLIT_BYTES // 2:
            spans += 1
            continue
        run_new, run_old, size = found
        copies.append((run_new, run_new + size, run_old))
        pending.append((run_new + size, end, run_old + size, old_end))
        pending.append((start, run_new, old_start, run_old))
    return sorted(c for c in copies if c[1] > c[0])


def derive(new: bytes, old: bytes, base: str) -> Derivation:
    """`new` as pieces copied from `old` (the version with id `base`) and inserted bytes."""
    pieces: list[tuple[int, int, int]] = []
    at = 0
    for start, end, origin in _copies(new, old):
        if start > at:
            pieces.append((at, start, -1))
        last = pieces[-1] if pieces else None
        if last is not None and last[2] >= 0 and last[1] == start and last[2] + last[1] - last[0] == origin:
            pieces[-1] = (last[0], end, last[2])  # the common start meets the common end
        else:
            pieces.append((start, end, origin))
        at = end
    if at < len(new):
        pieces.append((at, len(new), -1))
    return Derivation(base, tuple(pieces), len(old))
