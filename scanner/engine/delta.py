"""What a new version of a file changed: the part of a blob worth matching again.

A history holds each file many times, each version a small edit of the one before. A
match in a part of the new version that the edit left alone, and far enough from it that
none of what the matcher looks at changed (the match's own lines, the lines its keyword
windows reach), is a match of the previous version too: same rule, same secret, same line
text. `Change.zone` is where matches may differ; `Change.region` is the zone with enough
unchanged lines around it that a match in the zone sees everything it would see in the
whole blob. The matcher scans the region and keeps the matches that touch the zone.

Locality holds for rules whose windows are lines around a keyword (scanner.engine.lines);
rules that look further (multiline, or without keywords) are checked on the whole blob.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.model import Match

__all__ = [
    "Change",
    "Edit",
    "changes",
    "edit_changes",
    "carried",
    "common_prefix",
    "common_suffix",
    "ZONE_LINES",
    "CONTEXT_LINES",
]

# A keyword's window reaches one line either side of its own; two more is slack.
ZONE_LINES = 3
# Lines kept around the zone so that a match in it has all its windows and line text.
CONTEXT_LINES = 3
# A changed span this long is split where a run of it (grown from one line of at least
# _ANCHOR_BYTES) is found in the old version too; at most _MAX_SPANS spans a blob.
_SPLIT_BYTES = 2048
_ANCHOR_BYTES = 16
_ANCHOR_TRIES = 8
_ANCHOR_REACH = 64 * 1024
_MAX_SPANS = 32
# Common runs are measured to within this many bytes (fewer memcmp rounds).
_GRAIN = 64
# Changes closer than this share one zone (their regions would overlap anyway).
_NEAR = 1024


@dataclass(frozen=True)
class Change:
    """Byte ranges of the new version: `zone` within `region`, both on line boundaries."""

    region: tuple[int, int]
    zone: tuple[int, int]


@dataclass(frozen=True)
class Edit:
    """How a blob was built from another one (a git pack delta): its pieces in order, as
    (start, end, origin) ranges of the new blob, each copied from source[origin:] or, with
    origin -1, inserted. Unlike `changes`, an edit says where each unchanged byte came from,
    so the source's matches can be carried over instead of found again."""

    pieces: tuple[tuple[int, int, int], ...]
    source_size: int


def _forward(a: bytes, a_start: int, b: bytes, b_start: int, limit: int) -> int:
    """A length (at most `limit`) over which a[a_start:] and b[b_start:] are equal: the
    whole common run, or less by under _GRAIN bytes (a shorter run only widens the change).
    A binary search of memcmp calls: startswith on a memoryview compares in place."""
    view = memoryview(b)
    if a.startswith(view[b_start : b_start + limit], a_start):
        return limit  # the common case of an append: one call
    low, high = 0, limit
    while high - low > _GRAIN:
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
    while high - low > _GRAIN:
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


def _lines_back(data: bytes, position: int, count: int) -> int:
    """Start of the line `count` lines before the one holding `position` (a line start)."""
    start = data.rfind(b"\n", 0, position) + 1
    for _ in range(count):
        if start == 0:
            break
        start = data.rfind(b"\n", 0, start - 1) + 1
    return start


def _lines_forward(data: bytes, position: int, count: int) -> int:
    """End (past the newline) of the line `count` lines after the one holding `position`."""
    size = len(data)
    end = position
    for _ in range(count + 1):
        if end >= size:
            return size
        newline = data.find(b"\n", end)
        if newline < 0:
            return size
        end = newline + 1
    return end


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


def _differing(new: bytes, old: bytes) -> list[tuple[int, int]]:
    """Spans of `new` (sorted, disjoint) outside of which every byte sits in a run that `old`
    holds too: from the first differing byte to the last, split at long common runs."""
    prefix = common_prefix(new, old)
    suffix = common_suffix(new, old, min(len(new), len(old)) - prefix)
    pending = [(prefix, len(new) - suffix, prefix, len(old) - suffix)]
    spans: list[tuple[int, int]] = []
    while pending:
        start, end, old_start, old_end = pending.pop()
        if start == end and old_start == old_end:
            continue  # nothing differs here
        found = None
        if end - start >= _SPLIT_BYTES and len(spans) + len(pending) < _MAX_SPANS:
            found = _anchor(new, start, end, old, old_start, old_end)
        if found is None or found[2] < _SPLIT_BYTES // 2:
            spans.append((start, end))
            continue
        run_new, run_old, size = found
        pending.append((run_new + size, end, run_old + size, old_end))
        pending.append((start, run_new, old_start, run_old))
    return sorted(spans)


def changes(new: bytes, old: bytes) -> list[Change]:
    """Zones and regions of `new` around what differs from `old`, sorted, regions disjoint."""
    return _around(new, _differing(new, old))


def edit_changes(new: bytes, edit: Edit) -> list[Change]:
    """Zones and regions of `new` around what its edit did not copy: inserted bytes, every
    seam between pieces copied from different places, and the ends of a copy that stops
    short of the source's own ends."""
    pieces = edit.pieces
    spans: list[tuple[int, int]] = []
    if not pieces:
        return []
    if pieces[0][2] != 0:
        spans.append((0, pieces[0][1] if pieces[0][2] < 0 else 0))
    for index, (start, end, origin) in enumerate(pieces):
        if origin < 0:
            if index:
                spans.append((start, end))
        elif index and pieces[index - 1][2] >= 0:
            spans.append((start, start))
    last_start, last_end, last_origin = pieces[-1]
    if last_origin >= 0 and last_origin + last_end - last_start != edit.source_size:
        spans.append((last_end, last_end))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < _NEAR:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return _around(new, merged)


def carried(previous: Sequence[Match], edit: Edit, found: Sequence[Change]) -> list[tuple[Match, int]]:
    """The source's matches that the edit copies whole and that touch no zone: each with its
    start in the new blob (a match copied twice is there twice).

    `previous` holds every match of the source, sorted by start. Away from the zones, the
    new blob reads as the source does over each match and all the matcher looks at around it.
    """
    starts = [match.start for match in previous]
    zone_starts = [change.zone[0] for change in found]
    out: list[tuple[Match, int]] = []
    for start, end, origin in edit.pieces:
        if origin < 0:
            continue
        shift = start - origin
        for index in range(bisect.bisect_left(starts, origin), len(previous)):
            match = previous[index]
            if match.start >= origin + end - start:
                break
            new_start, new_end = match.start + shift, match.end + shift
            if new_end > end:
                continue
            # The zone starting last before new_end is the only one that could overlap.
            zone = bisect.bisect_left(zone_starts, new_end) - 1
            if zone >= 0 and found[zone].zone[1] > new_start:
                continue
            out.append((match, new_start))
    return out


def _around(new: bytes, spans: Sequence[tuple[int, int]]) -> list[Change]:
    """Zones (ZONE_LINES around each span) and regions (CONTEXT_LINES more), merged."""
    found: list[Change] = []
    for first, last in spans:
        # Bytes around a pure deletion are joined anew: the byte before it belongs to the change.
        anchor = first - 1 if first > 0 and first == last else first
        zone_start = _lines_back(new, anchor, ZONE_LINES)
        zone_end = _lines_forward(new, max(anchor, last - 1), ZONE_LINES)
        region_start = _lines_back(new, zone_start, CONTEXT_LINES)
        region_end = _lines_forward(new, zone_end, CONTEXT_LINES - 1) if zone_end < len(new) else zone_end
        if found and region_start <= found[-1].region[1]:
            # Overlapping regions are matched as one: the zone between them counts as changed.
            previous = found.pop()
            region_start, zone_start = previous.region[0], previous.zone[0]
        found.append(Change((region_start, region_end), (zone_start, zone_end)))
    return found
