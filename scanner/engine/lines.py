"""Bounded views of the lines around a position: confirmation windows and line text.

Minified bundles, data URIs and base64 dumps put megabytes on one line. Every view here
costs at most a few KiB around the position, whatever the line length, so the matcher
stays linear in the blob size: a window reaches `REACH` bytes either side of a keyword,
and the line text kept with a match `REACH` bytes either side of the secret (the whole
line when it is shorter), plus any inline allow marker found elsewhere on that line.
"""

from __future__ import annotations

import bisect

__all__ = ["REACH", "MULTILINE_SPAN", "keyword_windows", "merge", "LineTexts", "line_bounds", "bounded_line"]

# Tokens are short: on a long line, the regex of a rule runs this far around its keyword.
REACH = 4 * 1024
# Multiline secrets (PEM blocks) may end this far after their keyword.
MULTILINE_SPAN = 64 * 1024
# A window cut inside a token is moved to the token's edge, at most this far.
_SNAP = 512
_TOKEN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.%"
# Token bytes -> "a", anything else -> " ": the last boundary before a cut is one rfind.
_SHAPE = bytes(0x61 if b in _TOKEN_BYTES else 0x20 for b in range(256))


def _snap_start(data: bytes, pos: int) -> int:
    """`pos`, moved back to the start of the token it cuts (not past _SNAP bytes)."""
    low = max(0, pos - _SNAP)
    boundary = data[low:pos].translate(_SHAPE).rfind(b" ")
    return low + boundary + 1 if boundary >= 0 else (0 if low == 0 else pos)


def _snap_end(data: bytes, pos: int) -> int:
    """`pos`, moved forward to the end of the token it cuts (not past _SNAP bytes)."""
    high = min(len(data), pos + _SNAP)
    boundary = data[pos:high].translate(_SHAPE).find(b" ")
    return pos + boundary if boundary >= 0 else (high if high == len(data) else pos)


def _hit_window(data: bytes, start: int, end: int, multiline: bool) -> tuple[int, int]:
    """The line before the hit's line through the line after it (or, for multiline rules,
    up to the first line end MULTILINE_SPAN after the hit), clipped to REACH either side."""
    size = len(data)
    low = start - REACH
    if low <= 0:
        low = 0
    newline = data.rfind(b"\n", low, start)
    if newline >= 0:
        before = data.rfind(b"\n", low, newline)
        window_start = before + 1 if before >= 0 else (low if low == 0 else _snap_start(data, low))
    else:
        window_start = low if low == 0 else _snap_start(data, low)
    if multiline:
        base = end + MULTILINE_SPAN
        if base >= size:
            return window_start, size
        high = min(size, base + REACH)
        stop = data.find(b"\n", base, high)
        if stop >= 0:
            return window_start, stop
    else:
        high = end + REACH
        if high >= size:
            high = size
        line_end = data.find(b"\n", end, high)
        if line_end >= 0:
            next_end = data.find(b"\n", line_end + 1, high)
            if next_end >= 0:
                return window_start, next_end
    return window_start, high if high == size else _snap_end(data, high)


def keyword_windows(data: bytes, lowered: bytes, keyword: bytes, multiline: bool) -> list[tuple[int, int]]:
    """Merged windows around every occurrence of `keyword` (found in `lowered`), in order.

    Linear in the blob: once a window is open, the hits that must fall inside it (those
    before its end, or after it on the same line within REACH) are jumped over to the
    last of them with one rfind, so a line made of the keyword costs O(length / REACH) steps.
    """
    windows: list[tuple[int, int]] = []
    length = len(keyword)
    jump = b"\n" not in keyword
    size = len(data)
    hit = lowered.find(keyword)
    while hit >= 0:
        window_start, window_end = _hit_window(data, hit, hit + length, multiline)
        if windows and window_start <= windows[-1][1]:
            if window_end > windows[-1][1]:
                windows[-1] = (windows[-1][0], window_end)
        else:
            windows.append((window_start, window_end))
        if jump:
            # Window starts never decrease with the hit and never pass the end of the line
            # before the hit, nor REACH before it: every hit up to `limit` merges here.
            current_end = windows[-1][1]
            newline = data.find(b"\n", current_end, current_end + REACH)
            limit = newline if newline >= 0 else min(size, current_end + REACH)
            last = lowered.rfind(keyword, hit + 1, limit + length)
            if last >= 0:
                hit = last
                continue
        hit = lowered.find(keyword, hit + 1)
    return windows


def merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ranges, overlapping or touching ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def line_bounds(data: bytes, start: int, end: int) -> tuple[int, int, bool]:
    """[from, to) of the line(s) holding data[start:end], at most REACH either side, and
    whether that cut the line short."""
    low = max(0, start - REACH)
    newline = data.rfind(b"\n", low, start)
    line_start = newline + 1 if newline >= 0 else low
    high = min(len(data), end + REACH)
    line_end = data.find(b"\n", end, high)
    if line_end < 0:
        line_end = high
    cut = (newline < 0 and low > 0) or (line_end == high and high < len(data) and data[high : high + 1] != b"\n")
    return line_start, line_end, cut


def bounded_line(data: bytes, start: int, end: int) -> str:
    """The line(s) holding data[start:end], at most REACH bytes either side, as text."""
    line_start, line_end, _cut = line_bounds(data, start, end)
    return data[line_start:line_end].decode("utf-8", "replace")


class LineTexts:
    """The text kept with each match of one blob: its line(s), bounded (see module doc).

    Inline allow markers anywhere on a long line still count: the markers of the blob are
    located once, each with its own line, so many matches on one line stay linear.
    """

    def __init__(self, data: bytes, markers: tuple[str, ...]) -> None:
        self._data = data
        self._markers = markers
        self._marker_lines: list[tuple[int, int, str]] | None = None
        self._marker_starts: list[int] = []

    def text(self, start: int, end: int) -> str:
        data = self._data
        line_start, line_end, cut = line_bounds(data, start, end)
        text = data[line_start:line_end].decode("utf-8", "replace")
        if cut:
            found = [m for m in self._markers_around(start, end) if m not in text]
            if found:
                text += " " + " ".join(found)
        return text

    def _markers_around(self, start: int, end: int) -> list[str]:
        if self._marker_lines is None:
            self._marker_lines = self._locate_markers()
            self._marker_starts = [line[0] for line in self._marker_lines]
        found: list[str] = []
        # Two marker lines are the same line or disjoint, sorted by start: walking back from
        # the last one starting by `end`, the first that ends before `start` ends the search.
        for index in range(bisect.bisect_right(self._marker_starts, end) - 1, -1, -1):
            _line_start, line_end, marker = self._marker_lines[index]
            if line_end < start:
                break
            if marker not in found:
                found.append(marker)
        return found

    def _locate_markers(self) -> list[tuple[int, int, str]]:
        data = self._data
        lines: list[tuple[int, int, str]] = []
        for marker in self._markers:
            needle = marker.encode("utf-8")
            position = data.find(needle)
            while position >= 0:
                line_start = data.rfind(b"\n", 0, position) + 1
                line_end = data.find(b"\n", position)
                if line_end < 0:
                    line_end = len(data)
                lines.append((line_start, line_end, marker))
                position = data.find(needle, line_end)  # one entry per line is enough
        lines.sort()
        return lines
