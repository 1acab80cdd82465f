"""Matching a blob by what changed from its base: the only place that does it.

A history holds each file many times, each version a small edit of another. A source
says how a blob derives from a base it matched before (a `Derivation`: which bytes were
copied from where, which inserted); `match_blob` turns that and the base's matches into
the blob's own matches: every match of the base the derivation copies whole, far from
anything new, is carried over, and the lines around what is new are matched again. The
contract: the result is always what `Matcher.scan` gives for the whole blob.

Why carrying is exact: a match in a part the derivation left alone, with ZONE_LINES
unchanged lines around it, sees everything it would see in the base (its own lines, the
lines its keyword windows reach: one either side, see scanner.engine.lines). Rules that
look further (multiline, or without keywords) are checked on the whole blob.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

from scanner.engine.matcher import Matcher, Region
from scanner.model import Blob, Derivation, Match

__all__ = ["CONTEXT_LINES", "ZONE_LINES", "Change", "carried", "match_blob", "zones"]

# A keyword's window reaches one line either side of its own; two more is slack.
ZONE_LINES = 3
# Lines kept around the zone so that a match in it has all its windows and line text.
CONTEXT_LINES = 3
# Changes closer than this share one zone (their regions would overlap anyway).
_NEAR = 1024


@dataclass(frozen=True)
class Change:
    """Byte ranges of the new blob: `zone` (where matches may differ from the base's)
    within `region` (the zone with enough unchanged lines around it to match it alone)."""

    region: tuple[int, int]
    zone: tuple[int, int]


def match_blob(matcher: Matcher, blob: Blob, base_matches: Sequence[Match] | None) -> list[Match]:
    """The blob's matches: by its change when it derives from a base whose matches (all of
    them, as `Matcher.scan` gives them) are known, else by a whole scan."""
    derivation = blob.derivation
    where = blob.provenance[0].path if blob.provenance and blob.provenance[0].path else f"blob {blob.id[:12]}"
    if derivation is None or base_matches is None:
        return matcher.scan(blob.data, blob.id, where=where)
    found = zones(blob.data, derivation)
    regions = [Region(c.region, c.zone) for c in found]
    kept = matcher.scan_regions(blob.data, regions, blob.id, where=where, base_id=derivation.base)
    if kept is None:
        return matcher.scan(blob.data, blob.id, where=where)
    # No match kept here overlaps a carried one: a match found near a zone sees the same
    # lines as in the base (its window reaches one line from its keyword's; a zone has
    # three more), so the base's own scan already chose between the two.
    for match, start in carried(base_matches, derivation, found):
        end = start + match.end - match.start
        kept.append(replace(match, blob_id=blob.id, start=start, end=end, line=0, end_line=match.end_line - match.line))
    return _numbered(blob.data, kept)


def zones(new: bytes, derivation: Derivation) -> list[Change]:
    """Zones and regions of `new` around what its derivation did not copy: inserted bytes,
    every seam between pieces copied from different places, and the ends of a copy that
    stops short of the base's own ends."""
    pieces = derivation.pieces
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
    if last_origin >= 0 and last_origin + last_end - last_start != derivation.base_size:
        spans.append((last_end, last_end))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < _NEAR:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return _around(new, merged)


def carried(previous: Sequence[Match], derivation: Derivation, found: Sequence[Change]) -> list[tuple[Match, int]]:
    """The base's matches that the derivation copies whole and that touch no zone: each with
    its start in the new blob (a match copied twice is there twice).

    `previous` holds every match of the base, sorted by start. Away from the zones, the
    new blob reads as the base does over each match and all the matcher looks at around it.
    """
    starts = [match.start for match in previous]
    zone_starts = [change.zone[0] for change in found]
    out: list[tuple[Match, int]] = []
    for start, end, origin in derivation.pieces:
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


def _numbered(data: bytes, matches: list[Match]) -> list[Match]:
    """`matches` (line 0, end_line the number of lines each spans) in start order, with
    their lines in `data`."""
    matches.sort(key=lambda m: (m.start, m.end, m.rule_id))
    numbered = []
    line = 1
    counted = 0
    for match in matches:
        line += data.count(b"\n", counted, match.start)
        counted = match.start
        numbered.append(replace(match, line=line, end_line=line + match.end_line))
    return numbered
