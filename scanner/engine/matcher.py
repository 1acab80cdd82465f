"""Second stage: confirm keyword hits with each rule's regex, then entropy, validator, filters.

The matcher works on bytes (tokens are ASCII; no blob is decoded whole) and decodes only
what it reports. A user rule's regexes run with a time budget (user rules may be hostile);
the pack's own rules run without one, so that machine load never changes what they find.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import regex

from scanner.engine.confidence import assess
from scanner.engine.decode import MAX_DEPTH as MAX_DECODE_DEPTH
from scanner.engine.decode import MAX_RUNS_PER_LINE, RUN_PREFIX, scan_encoded
from scanner.engine.entropy import shannon_entropy
from scanner.engine.filters import rejection
from scanner.engine.lines import MULTILINE_SPAN, REACH, LineTexts, bounded_line, keyword_windows, merge
from scanner.engine.prefilter import LineFinder, build_prefilter, rule_keywords
from scanner.engine.validators import CHECKSUM_VALIDATORS, VALIDATORS
from scanner.model import INLINE_ALLOW_MARKERS, Match, Rule
from scanner.patterns import compile_pattern

__all__ = ["Matcher", "Candidate", "Region", "REGEX_TIMEOUT", "MULTILINE_SPAN"]

REGEX_TIMEOUT = 1.0
# Windows longer than this are confirmed chunk by chunk (see _confirm).
_CHUNK = 32 * 1024
# A rule's time budget per blob: REGEX_TIMEOUT, plus as much again per this many bytes of windows.
_BUDGET_BYTES = 1024 * 1024
# A rule that times out this often is switched off for the rest of the scan.
_TIMEOUT_LIMIT = 3
# Between regions matched in one call: blank lines, so no keyword window spans two.
_SEPARATOR = b"\n\n\n\n"
# Ids of blobs known to hold no keyword of the rules that reach past their lines, at most.
_NO_WIDE_KEPT = 1 << 16


@dataclass(frozen=True)
class Candidate:
    """A regex match before and after the checks, with why it was dropped (for `rules check`)
    or, kept, its confidence."""

    rule_id: str
    start: int
    end: int
    secret: str
    dropped: str | None
    confidence: str = ""


@dataclass(frozen=True)
class Region:
    """Bytes of a blob to match on their own (`span`), and the part of them (`keep`) whose
    matches count: around `keep`, enough lines that a match in it sees all it would see
    in the whole blob."""

    span: tuple[int, int]
    keep: tuple[int, int]


# What `_confirm` keeps of a match: (rule index, secret start, secret end, match start,
# match end, confidence).
_Found = tuple[int, int, int, int, int, str]


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    pattern: regex.Pattern[bytes]
    allow: tuple[regex.Pattern[str], ...]


class Matcher:
    """Compiled rules plus one prefilter: `scan(data)` -> confirmed, deduplicated matches."""

    def __init__(self, rules: Sequence[Rule], *, backend: str = "auto") -> None:
        # A path-only rule reads no content (scanner.findings.path_findings reports it).
        self.rules = tuple(rule for rule in rules if rule.pattern)
        # Compiled on first need: a pre-commit scan confirms a handful of rules, not hundreds.
        self._compiled: list[_Compiled | None] = [None] * len(self.rules)
        self._rule_keywords = [rule_keywords(rule) for rule in self.rules]
        self.prefilter = build_prefilter(self.rules, backend)
        # Rules whose matches are not confined to the lines around a keyword (multiline, or
        # without keywords): a blob where one may match is scanned whole, never by its change.
        wide = [rule for rule in self.rules if rule.multiline or not rule.keywords]
        self._wide = build_prefilter(wide, self.prefilter.name) if wide else None
        self._wide_indices = frozenset(i for i, rule in enumerate(self.rules) if rule.multiline or not rule.keywords)
        self._wide_keywords = frozenset(k for i in self._wide_indices for k in rule_keywords(self.rules[i]))
        # Blobs (by id) that hold none of those rules' keywords: a version derived from one
        # holds none either unless its regions do, so the whole version need not be read.
        self._no_wide: set[str] = set()
        # Where base64 runs may be (Hyperscan only; the fallback searches everything, same result).
        self._run_lines = LineFinder(RUN_PREFIX) if self.prefilter.name == "hyperscan" else None
        self._timeouts: dict[int, int] = defaultdict(int)
        self._priorities = {rule.id: rule.priority for rule in self.rules}
        # Rules that report only at some paths: each path's rules settle a shared secret
        # among themselves, so a rule for `*.tf` cannot take a secret from one for any file.
        self._scopes = {rule.id: rule.path for rule in self.rules if rule.path}
        # Rules with a `path` read a value by its position: a base64 value they match is
        # theirs decoded (scanner.engine.decode.scan_encoded's `by_position`).
        self._positional = {rule.id: i for i, rule in enumerate(self.rules) if rule.path}
        self.warnings: list[str] = []
        # What was left unchecked, as (reason, detail): a rule's budget spent (or the rule
        # switched off), base64 values past a line's cap. The caller counts and reports them.
        self.unchecked: list[tuple[str, str]] = []

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

    def scan(self, data: bytes, blob_id: str = "", *, where: str = "") -> list[Match]:
        """Every confirmed match in `data`, deduplicated, in start order. `where` names the
        input (a path) in warnings."""
        return self._scan(data, blob_id, where=where)

    def scan_regions(
        self, data: bytes, regions: Sequence[Region], blob_id: str = "", *, where: str = "", base_id: str = ""
    ) -> list[Match] | None:
        """The matches of `data` inside each region's `keep` part, each with line 0 and
        end_line the number of lines it spans (the caller numbers them in the whole blob);
        None when `data` must be scanned whole instead: a rule that reaches past the lines
        around its keyword may match in it, or the regions would cover it all.

        The regions are matched in one call, joined by blank lines: no window reaches past
        one line either side of its keyword, so none reaches from one region into the next,
        and a region keeps its own lines whole (each ends in a newline, but the blob's last).
        """
        if sum(end - start for start, end in (region.span for region in regions)) >= len(data):
            return None
        parts = [data[start:end] for start, end in (region.span for region in regions)]
        joined = _SEPARATOR.join(parts)
        if self._wide is not None and self._wide_may_match(data, joined, blob_id, base_id):
            return None
        offsets = []  # start of each region in `joined`
        at = 0
        for part in parts:
            offsets.append(at)
            at += len(part) + len(_SEPARATOR)
        kept = []
        for match in self._scan(joined, blob_id, where=where, local=True):
            index = bisect.bisect_right(offsets, match.start) - 1
            region = regions[index]
            shift = region.span[0] - offsets[index]
            start, end = match.start + shift, match.end + shift
            if end > region.keep[0] and start < region.keep[1]:
                kept.append(replace(match, start=start, end=end, line=0, end_line=match.end_line - match.line))
        return kept

    def _wide_may_match(self, data: bytes, joined: bytes, blob_id: str, base_id: str) -> bool:
        """Whether a rule that reaches past its lines may match in `data`, a version of
        `base_id` whose changed lines (with their context) are `joined`. A keyword of such a
        rule in `data` but in none of the base lies in the changed lines: a copied piece holds
        only the base's bytes, and a keyword across a seam is on lines the regions hold whole."""
        assert self._wide is not None
        if base_id in self._no_wide and not self._wide.fired_keywords(joined)[1]:
            fired, present = self._wide.fired_keywords(b"")  # the rules without keywords
        else:
            fired, present = self._wide.fired_keywords(data)
        if not present:
            self._remember_no_wide(blob_id)
        return bool(fired)

    def _remember_no_wide(self, blob_id: str) -> None:
        if not blob_id:
            return
        if len(self._no_wide) >= _NO_WIDE_KEPT:
            self._no_wide.clear()  # only speed depends on it; bases come just before their versions
        self._no_wide.add(blob_id)

    def _scan(self, data: bytes, blob_id: str, *, depth: int = 0, where: str = "", local: bool = False) -> list[Match]:
        """`local`: leave out the rules whose matches reach past the lines around a keyword
        (for lines cut out of a blob where none of them matches: joined, such lines could
        make a match the blob does not hold)."""
        texts = LineTexts(data, INLINE_ALLOW_MARKERS)
        windows, present = self._windows(data, local=local)
        if not (depth or local or present & self._wide_keywords):
            self._remember_no_wide(blob_id)  # a base its versions can be matched against
        candidates = self._confirm(data, windows, where=where)
        matches = _deduplicate(self._to_matches(data, blob_id, candidates, texts), self._priorities, self._scopes)
        if depth < MAX_DECODE_DEPTH:
            # Base64 values that decode to text are scanned again, decoded (scanner.engine.decode).
            matches = scan_encoded(
                data,
                blob_id,
                matches,
                self._priorities,
                lambda text: self._scan(text, blob_id, depth=depth + 1, where=where),
                self._run_lines.spans(data) if self._run_lines is not None else None,
                texts.text,
                self._on_capped,
                self._takes_decoded if self._positional else None,
            )
        return matches

    def candidates(self, data: bytes) -> list[Candidate]:
        """Every regex match with its verdict, for `rules check` and debugging."""
        found = []
        for index, start, end, _, _, _ in self._confirm(data, self._windows(data)[0], keep_dropped=True):
            rule = self.rules[index]
            secret = data[start:end].decode("utf-8", "replace")
            dropped, confidence = self._verdict(index, data, start, end)
            found.append(Candidate(rule.id, start, end, secret, dropped, confidence))
        return found

    def prepare(self, *, compile: bool = True, patterns: bool | None = None) -> None:
        """Build the whole first stage now (before forking workers), not on first need;
        compile False: only load what the on-disk cache holds. `patterns` (default: as
        `compile`): compile the generic rules' patterns too."""
        self.prefilter.prepare(compile=compile)
        if self._wide is not None:
            self._wide.prepare(compile=compile)
        if not (compile if patterns is None else patterns):
            return  # a small scan compiles only the patterns its keywords call for
        # Generic rules key on everyday words (password, secret, token): nearly every code
        # base needs their patterns, the largest of the pack. Compiled once here, forked
        # workers share them instead of each compiling its own.
        for index, rule in enumerate(self.rules):
            if rule.provider == "generic":
                self._compile(index)

    def _windows(
        self, data: bytes, *, local: bool = False
    ) -> tuple[dict[int, list[tuple[int, int]]], frozenset[bytes]]:
        """Per rule that may match, merged byte ranges around its keyword hits (a line either
        side, at most lines.REACH bytes on long lines; see scanner.engine.lines); and the
        keywords that occur in `data`.

        The prefilter only says which rules to look at; the windows come from the keyword
        hits alone, so they are the same whichever prefilter backend ran.
        """
        fired, present = self.prefilter.fired_keywords(data)
        if local and fired:
            fired = [index for index in fired if index not in self._wide_indices]
        if not fired:
            return {}, present
        lowered = data.lower()
        by_keyword: dict[tuple[bytes, bool], list[tuple[int, int]]] = {}
        windows: dict[int, list[tuple[int, int]]] = {}
        for rule_index in fired:
            keywords = self._rule_keywords[rule_index]
            if not keywords:
                windows[rule_index] = [(0, len(data))]
                continue
            multiline = self.rules[rule_index].multiline
            parts = []
            for keyword in keywords:
                if keyword not in present:
                    continue  # the first stage saw it nowhere: no need to look again
                found = by_keyword.get((keyword, multiline))
                if found is None:
                    found = by_keyword[(keyword, multiline)] = keyword_windows(data, lowered, keyword, multiline)
                if found:
                    parts.append(found)
            if len(parts) == 1:
                windows[rule_index] = parts[0]
            elif parts:
                windows[rule_index] = merge(sorted(w for part in parts for w in part))
        return self.prefilter.narrow(data, windows), present

    def _confirm(
        self,
        data: bytes,
        windows: dict[int, list[tuple[int, int]]],
        *,
        keep_dropped: bool = False,
        where: str = "",
    ) -> list[_Found]:
        """(rule index, secret start, secret end, match start, match end, confidence) of each
        match kept (confidence "" with `keep_dropped`: not judged)."""
        found: list[_Found] = []
        for rule_index in sorted(windows):
            if self._timeouts[rule_index] >= _TIMEOUT_LIMIT:
                self.unchecked.append(("rule-budget", f"rule {self.rules[rule_index].id}"))
                continue
            pattern = self._compile(rule_index).pattern
            overlap = MULTILINE_SPAN + REACH if self.rules[rule_index].multiline else REACH
            rule_windows = windows[rule_index]
            # A user rule gets one budget per blob, growing with the bytes to check: a slow
            # pattern on a few odd megabytes costs seconds, not minutes. A pack rule runs
            # unbudgeted (its patterns are linear-time): load must not change its findings.
            budget = REGEX_TIMEOUT * (1 + sum(end - start for start, end in rule_windows) / _BUDGET_BYTES)
            deadline = None if self.rules[rule_index].builtin else time.monotonic() + budget
            seen: set[tuple[int, int]] = set()
            timed_out = False
            for window_start, window_end in rule_windows:
                pos = window_start
                # Long windows (dense keywords on a long line) run in chunks; a match starting
                # in a chunk may run `overlap` bytes past it.
                while pos < window_end and not timed_out:
                    stop = window_end if window_end - pos <= _CHUNK else pos + _CHUNK
                    resume = stop
                    try:
                        remaining = None if deadline is None else deadline - time.monotonic()
                        if remaining is not None and remaining <= 0:
                            raise TimeoutError
                        for match in pattern.finditer(data, pos, min(window_end, stop + overlap), timeout=remaining):
                            if match.start() >= stop:
                                break
                            resume = max(resume, match.end())
                            start, end = match.span("secret")
                            if start < 0 or start == end or (start, end) in seen:
                                continue
                            seen.add((start, end))
                            dropped, confidence = (
                                (None, "") if keep_dropped else self._verdict(rule_index, data, start, end)
                            )
                            if dropped is None:
                                found.append((rule_index, start, end, match.start(), match.end(), confidence))
                    except TimeoutError:
                        self._on_timeout(rule_index, where, budget)
                        timed_out = True
                    pos = resume
                if timed_out:
                    break
        return found

    def _takes_decoded(self, rule_id: str, text: str) -> str | None:
        """The confidence of decoded `text` as the rule's secret when the rule's checks
        (allow, entropy, validator, filters) pass on it, else None."""
        index = self._positional.get(rule_id)
        if index is None:
            return None
        raw = text.encode("utf-8")
        dropped, confidence = self._verdict(index, raw, 0, len(raw))
        return None if dropped else confidence

    def _on_capped(self, count: int) -> None:
        self.unchecked.append(("decode-cap", f"base64 values past {MAX_RUNS_PER_LINE} on a line not decoded"))

    def _on_timeout(self, rule_index: int, where: str, budget: float) -> None:
        self._timeouts[rule_index] += 1
        rule = self.rules[rule_index]
        self.unchecked.append(("rule-budget", f"rule {rule.id}"))
        count = self._timeouts[rule_index]
        if count == 1:
            # Neutral on purpose: a slow regex on one odd input says little about the pattern.
            self.warnings.append(
                f"rule {rule.id} ({rule.source}) timed out after {budget:.2g}s on part of "
                f"{where or 'the input'}; that part was not checked by this rule"
            )
        if count == _TIMEOUT_LIMIT:
            self.warnings.append(f"rule {rule.id} timed out {count} times and was disabled for this scan")

    def _verdict(self, rule_index: int, data: bytes, start: int, end: int) -> tuple[str | None, str]:
        """(None, its confidence) when the candidate is a finding, else (the name of the check
        that dropped it, "")."""
        compiled = self._compile(rule_index)
        rule = compiled.rule
        secret = data[start:end].decode("utf-8", "replace")
        lowered = secret.lower()
        if any(word in lowered for word in rule.allow_stopwords):
            return "allow.stopwords", ""
        timeout = None if rule.builtin else REGEX_TIMEOUT
        if any(pattern.search(secret, timeout=timeout) for pattern in compiled.allow):
            return "allow.regexes", ""
        if shannon_entropy(secret) < rule.min_entropy:
            return "min_entropy", ""
        checksum_failed = False
        if rule.validator and not VALIDATORS[rule.validator](secret):
            # A failed checksum is still reported, at low confidence, unless a filter
            # below says placeholder; a failed structure check is a drop.
            if rule.validator not in CHECKSUM_VALIDATORS:
                return f"validator {rule.validator}", ""
            checksum_failed = True
        if rule.filters:
            reason = rejection(secret, bounded_line(data, start, end), rule.filters)
            if reason:
                return f"filter {reason}", ""
        return None, assess(rule, secret, checksum_failed=checksum_failed)

    def _to_matches(self, data: bytes, blob_id: str, found: list[_Found], texts: LineTexts) -> list[Match]:
        """Matches in start order; lines and columns counted in one pass over the blob."""
        matches = []
        line = 1
        counted = 0  # data[:counted] holds line - 1 newlines
        line_start = 0
        column_at, column = 0, 1  # column of data[column_at] on the current line
        for rule_index, start, end, match_start, match_end, confidence in sorted(
            found, key=lambda f: (f[1], f[2], f[0])
        ):
            newlines = data.count(b"\n", counted, start)
            if newlines:
                line += newlines
                line_start = data.rfind(b"\n", counted, start) + 1
                column_at, column = line_start, 1
            counted = start
            column += len(data[column_at:start].decode("utf-8", "replace"))
            column_at = start
            secret = data[start:end].decode("utf-8", "replace")
            matches.append(
                Match(
                    rule_id=self.rules[rule_index].id,
                    blob_id=blob_id,
                    start=start,
                    end=end,
                    secret=secret,
                    line=line,
                    end_line=line + data.count(b"\n", start, end),
                    column=column,
                    entropy=shannon_entropy(secret),
                    line_text=texts.text(start, end),
                    # gitleaks allowlists may read the whole match (regexTarget = "match").
                    matched=data[match_start:match_end].decode("utf-8", "replace")
                    if (match_start, match_end) != (start, end)
                    else "",
                    confidence=confidence,
                )
            )
        return matches


def _deduplicate(
    matches: list[Match], priority: Mapping[str, int], scopes: Mapping[str, str] | None = None
) -> list[Match]:
    """`scopes`: the `path` of each rule that has one; matches of rules with different paths
    are deduplicated apart (each set may be all that reports at some path)."""
    if scopes and any(m.rule_id in scopes for m in matches):
        groups: dict[str, list[Match]] = {}
        for match in matches:
            groups.setdefault(scopes.get(match.rule_id, ""), []).append(match)
        kept = [m for group in groups.values() for m in _deduplicate(group, priority)]
        return sorted(kept, key=lambda m: (m.start, m.end, m.rule_id))
    return _deduplicate_all(matches, priority)


def _deduplicate_all(matches: list[Match], priority: Mapping[str, int]) -> list[Match]:
    """One secret, one match: among overlapping spans the rule of highest priority wins,
    then the longest secret, then the lowest rule id (deterministic).

    Kept spans never overlap, so sorted by start they are sorted by end too: one bisect
    finds the only kept span a candidate could overlap (O(n log n) in all).
    """
    if len(matches) < 2:
        return matches
    ranked = sorted(matches, key=lambda m: (-priority[m.rule_id], -(m.end - m.start), m.rule_id, m.start))
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Match] = []
    for match in ranked:
        index = bisect.bisect_left(starts, match.end)
        if index and ends[index - 1] > match.start:
            continue
        starts.insert(index, match.start)
        ends.insert(index, match.end)
        kept.append(match)
    kept.sort(key=lambda m: (m.start, m.end, m.rule_id))
    return kept
