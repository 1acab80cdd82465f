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

from dataclasses import dataclass

__all__ = ["Change", "change", "common_prefix", "common_suffix", "ZONE_LINES", "CONTEXT_LINES"]

# A keyword's window reaches one line either side of its own; two more is slack.
ZONE_LINES = 3
# Lines kept around the zone so that a match in it has all its windows and line text.
CONTEXT_LINES = 3


@dataclass(frozen=True)
class Change:
    """Byte ranges of the new version: `zone` within `region`, both on line boundaries."""

    region: tuple[int, int]
    zone: tuple[int, int]


def common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix: a binary search of memcmp calls (startswith on a
    memoryview compares in place; slices would copy)."""
    view = memoryview(b)
    low, high = 0, min(len(a), len(b))
    if a.startswith(view[:high]):
        return high  # one version extends the other (an append)
    while low < high:
        middle = (low + high + 1) // 2
        if a.startswith(view[low:middle], low):
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    view = memoryview(b)
    size_a, size_b = len(a), len(b)
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a.endswith(view[size_b - middle : size_b - low], 0, size_a - low):
            low = middle
        else:
            high = middle - 1
    return low


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


def change(new: bytes, old: bytes) -> Change:
    """The zone and region of `new` around what differs from `old` (one span: from the
    first differing byte to the last)."""
    prefix = common_prefix(new, old)
    suffix = common_suffix(new, old, min(len(new), len(old)) - prefix)
    first, last = prefix, len(new) - suffix  # new[first:last] replaced old[first:len(old) - suffix]
    # Bytes around a pure deletion are joined anew: the byte before it belongs to the change.
    anchor = first - 1 if first > 0 and first == last else first
    zone_start = _lines_back(new, anchor, ZONE_LINES)
    zone_end = _lines_forward(new, max(anchor, last - 1), ZONE_LINES)
    region_start = _lines_back(new, zone_start, CONTEXT_LINES)
    region_end = _lines_forward(new, zone_end, CONTEXT_LINES - 1) if zone_end < len(new) else zone_end
    return Change((region_start, region_end), (zone_start, zone_end))
