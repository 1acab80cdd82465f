"""Second stage: confirm keyword hits with each rule's regex, then entropy, validator, filters.

The matcher works on bytes (tokens are ASCII; no blob is decoded whole) and decodes only
what it reports. Every regex runs with a timeout: user rules may be hostile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from scanner.engine.decode import MAX_DEPTH as MAX_DECODE_DEPTH
from scanner.engine.decode import RUN_PREFIX, scan_encoded
from scanner.engine.entropy import shannon_entropy
from scanner.engine.filters import rejection
from scanner.engine.prefilter import LineFinder, build_prefilter, keyword_offsets
from scanner.engine.validators import VALIDATORS
from scanner.model import Match, Rule
from scanner.rules import compile_pattern

__all__ = ["Matcher", "Candidate", "REGEX_TIMEOUT", "MULTILINE_SPAN"]

REGEX_TIMEOUT = 1.0
MULTILINE_SPAN = 64 * 1024
# A rule that times out this often is switched off for the rest of the scan.
_TIMEOUT_LIMIT = 3


@dataclass(frozen=True)
class Candidate:
    """A regex match before and after the checks, with why it was dropped (for `rules check`)."""

    rule_id: str
    start: int
    end: int
    secret: str
    dropped: str | None


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    pattern: regex.Pattern[bytes]
    allow: tuple[regex.Pattern[str], ...]


class Matcher:
    """Compiled rules plus one prefilter: `scan(data)` -> confirmed, deduplicated matches."""

    def __init__(self, rules: Sequence[Rule], *, backend: str = "auto") -> None:
        self.rules = tuple(rules)
        # Compiled on first need: a pre-commit scan confirms a handful of rules, not hundreds.
        self._compiled: list[_Compiled | None] = [None] * len(self.rules)
        self._rule_keywords = [
            tuple(dict.fromkeys(k.lower().encode("utf-8") for k in rule.keywords)) for rule in self.rules
        ]
        self.prefilter = build_prefilter(self.rules, backend)
        # Where base64 runs may be (Hyperscan only; the fallback searches everything, same result).
        self._run_lines = LineFinder(RUN_PREFIX) if self.prefilter.name == "hyperscan" else None
        self._timeouts: dict[int, int] = defaultdict(int)
        self._priorities = {rule.id: rule.priority for rule in self.rules}
        self.warnings: list[str] = []

    def _compile(self, rule_index: int) -> _Compiled:
        compiled = self._compiled[rule_index]
        if compiled is None:
            rule = self.rules[rule_index]
            compiled = _Compiled(
                rule, compile_pattern(rule.pattern), tuple(regex.compile(a) for a in rule.allow_regexes)
            )
            self._compiled[rule_index] = compiled
        return compiled

    @property
    def backend(self) -> str:
        return self.prefilter.name

    def scan(self, data: bytes, blob_id: str = "", *, depth: int = 0) -> list[Match]:
        candidates = self._confirm(data, self._windows(data))
        matches = _deduplicate(self._to_matches(data, blob_id, candidates), self.rules)
        if depth < MAX_DECODE_DEPTH:
            # Base64 values that decode to text are scanned again, decoded (scanner.engine.decode).
            matches = scan_encoded(
                data,
                blob_id,
                matches,
                self._priorities,
                lambda text: self.scan(text, blob_id, depth=depth + 1),
                self._run_lines.spans(data) if self._run_lines is not None else None,
            )
        return matches

    def candidates(self, data: bytes) -> list[Candidate]:
        """Every regex match with its verdict, for `rules check` and debugging."""
        found = []
        for index, start, end in self._confirm(data, self._windows(data), keep_dropped=True):
            rule = self.rules[index]
            secret = data[start:end].decode("utf-8", "replace")
            found.append(Candidate(rule.id, start, end, secret, self._verdict(index, data, start, end)))
        return found

    def prepare(self, *, compile: bool = True) -> None:
        """Build the whole first stage now (before forking workers), not on first need;
        compile False: only load what the on-disk cache holds."""
        self.prefilter.prepare(compile=compile)

    def _windows(self, data: bytes) -> dict[int, list[tuple[int, int]]]:
        """Per rule that may match, merged byte ranges around its keyword hits (a line either side).

        The prefilter only says which rules to look at; the windows come from the keyword
        hits alone, so they are the same whichever prefilter backend ran.
        """
        fired = self.prefilter.fired(data)
        if not fired:
            return {}
        lowered = data.lower()
        size = len(data)
        offsets: dict[bytes, list[int]] = {}
        line_cache: dict[tuple[int, int], tuple[int, int]] = {}
        windows: dict[int, list[tuple[int, int]]] = {}
        for rule_index in fired:
            keywords = self._rule_keywords[rule_index]
            if not keywords:
                windows[rule_index] = [(0, size)]
                continue
            multiline = self.rules[rule_index].multiline
            ranges: set[tuple[int, int]] = set()
            for keyword in keywords:
                starts = offsets.get(keyword)
                if starts is None:
                    starts = offsets[keyword] = keyword_offsets(lowered, keyword)
                length = len(keyword)
                for start in starts:
                    end = start + length
                    window = line_cache.get((start, end))
                    if window is None:
                        window = line_cache[(start, end)] = _line_window(data, start, end)
                    if multiline:
                        stop = data.find(b"\n", min(size, end + MULTILINE_SPAN))
                        ranges.add((window[0], size if stop < 0 else stop))
                    else:
                        ranges.add(window)
            if ranges:
                windows[rule_index] = _merge(sorted(ranges))
        return windows

    def _confirm(
        self, data: bytes, windows: dict[int, list[tuple[int, int]]], *, keep_dropped: bool = False
    ) -> list[tuple[int, int, int]]:
        found: list[tuple[int, int, int]] = []
        for rule_index in sorted(windows):
            if self._timeouts[rule_index] >= _TIMEOUT_LIMIT:
                continue
            pattern = self._compile(rule_index).pattern
            seen: set[tuple[int, int]] = set()
            for pos, endpos in windows[rule_index]:
                try:
                    for match in pattern.finditer(data, pos, endpos, timeout=REGEX_TIMEOUT):
                        start, end = match.span("secret")
                        if start < 0 or start == end or (start, end) in seen:
                            continue
                        seen.add((start, end))
                        if keep_dropped or self._verdict(rule_index, data, start, end) is None:
                            found.append((rule_index, start, end))
                except TimeoutError:
                    self._on_timeout(rule_index)
                    if self._timeouts[rule_index] >= _TIMEOUT_LIMIT:
                        break
        return found

    def _on_timeout(self, rule_index: int) -> None:
        self._timeouts[rule_index] += 1
        rule = self.rules[rule_index]
        count = self._timeouts[rule_index]
        if count == 1:
            self.warnings.append(
                f"rule {rule.id} ({rule.source}) timed out after {REGEX_TIMEOUT:g}s on some input, "
                "which it did not check: its pattern backtracks catastrophically"
            )
        if count == _TIMEOUT_LIMIT:
            self.warnings.append(f"rule {rule.id} timed out {count} times and was disabled for this scan")

    def _verdict(self, rule_index: int, data: bytes, start: int, end: int) -> str | None:
        """None when the candidate is a finding, else the name of the check that dropped it."""
        compiled = self._compile(rule_index)
        rule = compiled.rule
        secret = data[start:end].decode("utf-8", "replace")
        lowered = secret.lower()
        if any(word in lowered for word in rule.allow_stopwords):
            return "allow.stopwords"
        if any(pattern.search(secret, timeout=REGEX_TIMEOUT) for pattern in compiled.allow):
            return "allow.regexes"
        if shannon_entropy(secret) < rule.min_entropy:
            return "min_entropy"
        if rule.validator and not VALIDATORS[rule.validator](secret):
            return f"validator {rule.validator}"
        if rule.filters:
            reason = rejection(secret, _line_text(data, start, end), rule.filters)
            if reason:
                return f"filter {reason}"
        return None

    def _to_matches(self, data: bytes, blob_id: str, found: list[tuple[int, int, int]]) -> list[Match]:
        matches = []
        for rule_index, start, end in found:
            secret = data[start:end].decode("utf-8", "replace")
            line_start = data.rfind(b"\n", 0, start) + 1
            line = data.count(b"\n", 0, start) + 1
            matches.append(
                Match(
                    rule_id=self.rules[rule_index].id,
                    blob_id=blob_id,
                    start=start,
                    end=end,
                    secret=secret,
                    line=line,
                    end_line=line + data.count(b"\n", start, end),
                    column=len(data[line_start:start].decode("utf-8", "replace")) + 1,
                    entropy=shannon_entropy(secret),
                    line_text=_line_text(data, start, end),
                )
            )
        return matches


def _deduplicate(matches: list[Match], rules: Sequence[Rule]) -> list[Match]:
    """One secret, one match: among overlapping spans the rule of highest priority wins,
    then the longest secret, then the lowest rule id (deterministic)."""
    if not matches:
        return matches
    priority = {rule.id: rule.priority for rule in rules}
    ranked = sorted(matches, key=lambda m: (-priority[m.rule_id], -(m.end - m.start), m.rule_id, m.start))
    kept: list[Match] = []
    for match in ranked:
        if all(match.end <= other.start or match.start >= other.end for other in kept):
            kept.append(match)
    kept.sort(key=lambda m: (m.start, m.end, m.rule_id))
    return kept


def _line_window(data: bytes, start: int, end: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, start) + 1
    window_start = data.rfind(b"\n", 0, line_start - 1) + 1 if line_start > 0 else 0
    line_end = data.find(b"\n", end)
    if line_end < 0:
        return window_start, len(data)
    next_end = data.find(b"\n", line_end + 1)
    return window_start, len(data) if next_end < 0 else next_end


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _line_text(data: bytes, start: int, end: int) -> str:
    """The full line(s) holding the secret: inline allow comments and filters look here."""
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    return data[line_start : len(data) if line_end < 0 else line_end].decode("utf-8", "replace")
