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
from scanner.engine.decode import scan_encoded
from scanner.engine.entropy import shannon_entropy
from scanner.engine.filters import rejection
from scanner.engine.prefilter import build_prefilter
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
        self._compiled = [
            _Compiled(rule, compile_pattern(rule.pattern), tuple(regex.compile(a) for a in rule.allow_regexes))
            for rule in self.rules
        ]
        keyword_rules: dict[bytes, list[int]] = defaultdict(list)
        self._always: list[int] = []
        for index, rule in enumerate(self.rules):
            if not rule.keywords:
                self._always.append(index)
            for keyword in {k.lower().encode("utf-8") for k in rule.keywords}:
                keyword_rules[keyword].append(index)
        self._keywords = sorted(keyword_rules)
        self._keyword_rules = [tuple(keyword_rules[k]) for k in self._keywords]
        self._keyword_lengths = [len(k) for k in self._keywords]
        self.prefilter = build_prefilter(self._keywords, backend)
        self._timeouts: dict[int, int] = defaultdict(int)
        self._priorities = {rule.id: rule.priority for rule in self.rules}
        self.warnings: list[str] = []

    @property
    def backend(self) -> str:
        return self.prefilter.name

    def scan(self, data: bytes, blob_id: str = "", *, depth: int = 0) -> list[Match]:
        candidates = self._confirm(data, self._windows(data))
        matches = _deduplicate(self._to_matches(data, blob_id, candidates), self.rules)
        if depth < MAX_DECODE_DEPTH:
            # Base64 values that decode to text are scanned again, decoded (scanner.engine.decode).
            matches = scan_encoded(
                data, blob_id, matches, self._priorities, lambda text: self.scan(text, blob_id, depth=depth + 1)
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

    def _windows(self, data: bytes) -> dict[int, list[tuple[int, int]]]:
        """Per rule, merged byte ranges around its keyword hits (a line either side)."""
        spans: dict[int, set[tuple[int, int]]] = defaultdict(set)
        line_cache: dict[int, tuple[int, int]] = {}
        for keyword_index, start in self.prefilter.hits(data):
            end = start + self._keyword_lengths[keyword_index]
            key = start
            window = line_cache.get(key)
            if window is None:
                window = _line_window(data, start, end)
                line_cache[key] = window
            for rule_index in self._keyword_rules[keyword_index]:
                if self.rules[rule_index].multiline:
                    stop = data.find(b"\n", min(len(data), end + MULTILINE_SPAN))
                    spans[rule_index].add((window[0], len(data) if stop < 0 else stop))
                else:
                    spans[rule_index].add(window)
        for rule_index in self._always:
            spans[rule_index].add((0, len(data)))
        return {index: _merge(sorted(ranges)) for index, ranges in spans.items()}

    def _confirm(
        self, data: bytes, windows: dict[int, list[tuple[int, int]]], *, keep_dropped: bool = False
    ) -> list[tuple[int, int, int]]:
        found: list[tuple[int, int, int]] = []
        for rule_index in sorted(windows):
            if self._timeouts[rule_index] >= _TIMEOUT_LIMIT:
                continue
            pattern = self._compiled[rule_index].pattern
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
        compiled = self._compiled[rule_index]
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
