"""The Hyperscan first stage: one compiled literal database of every keyword (SIMD), and
a regex gate over it.

Keywords such as "password", "token" or "key" occur in most source files (and prefixes
such as `nfo_` inside `info_`), so Hyperscan adds a second, regex gate for the rules named
by such common keywords: each rule's own pattern, compiled in prefilter mode (a superset of
its matches) with large repeats loosened, scanned only over blobs where one of their
keywords occurs. Rules whose keywords are rare (most provider prefixes: `ghp_`, `xoxb-`)
are left out: their keywords seldom occur, and each pattern in the gate slows every scan of
it. A gate can only drop a rule that cannot match anywhere in the blob; rules whose gate
would not compile, or that miss one of the rule's own examples, are not gated. Which rules
survive never changes where the regex runs (the keyword windows), so findings are the same
as with Aho-Corasick.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scanner.engine.keywords import keyword_table, rule_keywords
from scanner.model import Rule
from scanner.patterns import class_end, compile_pattern, structural_chars

__all__ = [
    "GATE_AFTER_BYTES",
    "GATE_COMPILE_AFTER_BYTES",
    "HyperscanPrefilter",
    "LineFinder",
    "build_gate",
    "drop_leading_atoms",
    "gate_choices",
    "gate_pattern",
    "gate_steps",
    "gateable_rules",
    "rule_key",
    "table_for",
    "relax_longest_group",
]

# The regex gates pay off on big scans; small ones (a commit, `rules check`) skip them.
# Cached, both load in about 20 ms and are used from GATE_AFTER_BYTES on (before that, the
# rare rules that fire compile their patterns: about 2 ms each); building them costs 7-10
# CPU-s with the whole pack and saves about 0.13 s per MiB of code, so they are built once
# GATE_COMPILE_AFTER_BYTES were scanned without them, in one run or over several (where
# they have paid for themselves).
GATE_AFTER_BYTES = 512 * 1024
GATE_COMPILE_AFTER_BYTES = 128 * 1024 * 1024
# Repeats bounded above this become open-ended in the gate: huge bounded repeats make
# Hyperscan's compile take minutes, and an open repeat only matches more.
_REPEAT_LIMIT = 64
_REPEAT_FLOOR = 64
_CACHE_MIN_KEYWORDS = 64
# A keyword found in more than this share of the files of real code (keyword_frequency.json,
# parts per million) is common: its rules are in the blob gate. Below it, gating a rule's few
# windows costs less than its place in the blob gate, which every gated blob pays for.
COMMON_KEYWORD = 1000


class HyperscanPrefilter:
    name = "hyperscan"

    def __init__(self, rules: Sequence[Rule]) -> None:
        import hyperscan

        self._hs = hyperscan
        self._rules = tuple(rules)
        keywords, owners = keyword_table(self._rules)
        self._keywords = keywords
        self._owners = owners
        self._always = [i for i, rule in enumerate(self._rules) if not rule.keywords]
        self._literals: Any = None
        self._literal_scratch: Any = None
        if keywords:
            from scanner.engine.cache import load_database

            flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH

            def build() -> Any:
                return _compile(hyperscan, keywords, range(len(keywords)), flags, literal=True)

            # A few keywords compile in a millisecond: not worth a cache file (`rules check`
            # builds one matcher per rule).
            self._literals = (
                load_database("literals", [(k, flags) for k in keywords], build)
                if len(keywords) >= _CACHE_MIN_KEYWORDS
                else build()
            )
            self._literal_scratch = hyperscan.Scratch(self._literals)
        self._gate: Any = None
        self._gate_scratch: Any = None
        self._gated: frozenset[int] = frozenset()
        # The other rules with keywords, in a gate of their own that reads only their
        # windows (narrow): a window it rejects is never confirmed, nor its pattern compiled.
        self._window_gate: Any = None
        self._window_scratch: Any = None
        self._window_gated: frozenset[int] = frozenset()
        self._gate_ready = not any(rule.keywords for rule in self._rules)
        self._scanned = 0
        self._next_look = GATE_AFTER_BYTES  # bytes scanned when the cache is next asked
        self._key: str | None = None  # the blob gate's (gate_key), and the window gate's
        self._window_key = ""

    @functools.cached_property
    def _gateable(self) -> frozenset[int]:
        """Rules worth gating: those named by a common keyword (or one never measured, such
        as a user rule's). Known only when a gate is first looked for: small scans never ask."""
        return gateable_indices(self._rules)

    @functools.cached_property
    def _windowed(self) -> list[int]:
        """The rules with keywords left out of the blob gate: gated on their windows only."""
        return [i for i, rule in enumerate(self._rules) if rule.keywords and i not in self._gateable]

    @property
    def gated(self) -> frozenset[int]:
        """Rules the blob gate covers (empty until it is built)."""
        return self._gated

    @property
    def window_gated(self) -> frozenset[int]:
        """Rules the window gate covers (empty until it is built)."""
        return self._window_gated

    def prepare(self, *, compile: bool = True) -> None:
        if self._gate_ready:
            return
        from scanner.engine.cache import MISSING, gate_key, load_gate

        if self._key is None:
            # Keyed once: a scan without a cached gate looks for one every GATE_AFTER_BYTES.
            signature = _gate_signature()
            self._window_key = gate_key(self._rules, self._windowed, signature + " windows")
            self._key = gate_key(self._rules, sorted(self._gateable), signature)
        build = build_gate if compile else None
        built = load_gate(self._rules, sorted(self._gateable), build, key=self._key)
        if built is MISSING:
            return
        windows = load_gate(self._rules, self._windowed, build, key=self._window_key)
        if windows is MISSING:
            return
        self._gate_ready = True
        if built is not None:
            self._gate, self._gated = built
            self._gate_scratch = self._hs.Scratch(self._gate)
        if windows is not None:
            self._window_gate, self._window_gated = windows
            self._window_scratch = self._hs.Scratch(self._window_gate)

    def _look_for_gate(self) -> None:
        """Every GATE_AFTER_BYTES scanned without a gate: load a cached one, else count the
        bytes towards building one, and build it once they reach GATE_COMPILE_AFTER_BYTES."""
        from scanner.engine.cache import count_ungated

        self._next_look = self._scanned + GATE_AFTER_BYTES
        self.prepare(compile=False)
        if self._gate_ready or self._key is None:
            return
        if count_ungated(self._key, GATE_AFTER_BYTES) >= GATE_COMPILE_AFTER_BYTES:
            self.prepare()

    def fired(self, data: bytes) -> list[int]:
        return self.fired_keywords(data)[0]

    def fired_keywords(self, data: bytes) -> tuple[list[int], frozenset[bytes]]:
        if self._literals is None or not data:
            return list(self._always), frozenset()
        keyword_hits: list[int] = []

        def on_keyword(index: int, start: int, end: int, flags: int, context: object) -> None:
            keyword_hits.append(index)

        self._literals.scan(data, match_event_handler=on_keyword, scratch=self._literal_scratch)
        if not keyword_hits:
            return list(self._always), frozenset()
        present = frozenset(self._keywords[index] for index in keyword_hits)
        found = set(self._always)
        for index in keyword_hits:
            found.update(self._owners[index])
        if not self._gate_ready:
            self._scanned += len(data)
            if self._scanned >= self._next_look:
                self._look_for_gate()
        if self._gate is None:
            return sorted(found), present
        gated = found & self._gated
        if gated:
            passed: set[int] = set()
            self._gate.scan(data, match_event_handler=_collector(passed), scratch=self._gate_scratch)
            found -= gated - passed
        return sorted(found), present

    def narrow(self, data: bytes, windows: dict[int, list[tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
        """Gated rules keep only the windows where their gate matches inside the window.

        A gate is a superset of the rule's pattern (assertions loosened, repeats opened, the
        window's edges read as the ends of the input), so a window it rejects holds no match
        the regex could find there. One scan per distinct window and gate answers for every
        rule.
        """
        if self._gate is None and self._window_gate is None:
            return windows
        gates = ((self._gate, self._gate_scratch), (self._window_gate, self._window_scratch))
        answers: tuple[dict[tuple[int, int], set[int]], ...] = ({}, {})
        narrowed: dict[int, list[tuple[int, int]]] = {}
        for rule_index, rule_windows in windows.items():
            which = 0 if rule_index in self._gated else 1 if rule_index in self._window_gated else -1
            if which < 0:
                narrowed[rule_index] = rule_windows
                continue
            gate, scratch = gates[which]
            kept = []
            for window in rule_windows:
                hits = answers[which].get(window)
                if hits is None:
                    hits = answers[which][window] = set()
                    gate.scan(data[window[0] : window[1]], match_event_handler=_collector(hits), scratch=scratch)
                if rule_index in hits:
                    kept.append(window)
            if kept:
                narrowed[rule_index] = kept
        return narrowed


def _gate_signature() -> str:
    """This module's source: how a gate is derived from a rule (repeat limits, relaxations,
    proof contexts) lives here, so any change to it keys a new cached gate."""
    from scanner.engine.cache import file_digest

    try:
        return file_digest(__file__)
    except OSError:
        return "unknown"


def _collector(hits: set[int]) -> Any:
    def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
        hits.add(index)

    return on_match


_GATE_FLAGS_NAMES = (
    "HS_FLAG_PREFILTER",
    "HS_FLAG_SINGLEMATCH",
    "HS_FLAG_ALLOWEMPTY",
    "HS_FLAG_MULTILINE",
    "HS_FLAG_DOTALL",
)


def _gate_flags(hyperscan: Any) -> int:
    """Prefilter mode (a superset, assertions and back-references approximated), and the
    loosest reading of `$` and `.` so a match the `regex` module finds in a window is
    also found over the whole blob."""
    flags = 0
    for name in _GATE_FLAGS_NAMES:
        flags |= getattr(hyperscan, name)
    return flags


def _compile(
    hyperscan: Any, expressions: Sequence[bytes], ids: Sequence[int], flags: int, *, literal: bool = False
) -> Any:
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=list(expressions), ids=list(ids), flags=[flags] * len(expressions), literal=literal)
    return db


def build_gate(
    rules: Sequence[Rule], candidates: Sequence[int], known: Mapping[str, str | None] | None = None
) -> tuple[Any, frozenset[int]] | None:
    """Compile the gate for the candidate rules; keep only rules whose gate is proven safe
    on their own examples. None when no rule qualifies.

    `known` (default: the table shipped with the pack, gate_choices.json): each rule's
    relaxation steps found before (rule_key -> steps, None for ungated). Finding them costs
    a compile per rule and try (half a minute over the pack); replaying them costs nothing.
    Every rule is still proven on its examples in the whole gate below, so a stale entry
    can only leave a rule ungated, never cost a finding."""
    import hyperscan

    flags = _gate_flags(hyperscan)
    choices = gate_choices() if known is None else known
    patterns = {index: compile_pattern(rules[index].pattern) for index in candidates}
    expressions: dict[int, bytes] = {}
    for index in candidates:
        key = rule_key(rules[index])
        steps = choices[key] if key in choices else gate_steps(hyperscan, rules[index], flags, patterns[index])
        if steps is not None:
            expressions[index] = _replay(rules[index].pattern, steps).encode("utf-8")
    usable = list(expressions)
    while usable:
        try:
            db = _compile(hyperscan, [expressions[i] for i in usable], usable, flags)
        except Exception:  # noqa: BLE001 - a replayed expression this Hyperscan rejects
            if choices:
                return build_gate(rules, candidates, {})
            raise
        scratch = hyperscan.Scratch(db)
        unsafe = set()
        for index in usable:
            for example in rules[index].examples + rules[index].negative_examples:
                if not _gate_holds(patterns[index], db, scratch, index, example.encode("utf-8")):
                    unsafe.add(index)
                    break
        if not unsafe:
            return db, frozenset(usable)
        usable = [i for i in usable if i not in unsafe]
    return None


_CHOICES_FILE = Path(__file__).with_name("gate_choices.json")


def rule_key(rule: Rule) -> str:
    """What a rule's gate is derived and proven from: its pattern and examples."""
    text = json.dumps([rule.pattern, list(rule.examples), list(rule.negative_examples)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def gate_choices(path: Path = _CHOICES_FILE) -> dict[str, str | None]:
    """The shipped table of relaxation steps by rule_key ({} when missing or unreadable:
    every rule's steps are then found again). Written by scripts/gate_choices.py."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return table if isinstance(table, dict) else {}


_FREQUENCY_FILE = Path(__file__).with_name("keyword_frequency.json")


@functools.lru_cache(maxsize=1)
def keyword_frequency(path: Path = _FREQUENCY_FILE) -> Mapping[str, int]:
    """The shipped share of files of real code that hold each pack keyword (lowercased), in
    parts per million, written by scripts/gate_choices.py; {} when missing or unreadable
    (every rule gated)."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    shares = table.get("parts_per_million") if isinstance(table, dict) else None
    return shares if isinstance(shares, dict) else {}


def is_common(keyword: bytes, frequency: Mapping[str, int]) -> bool:
    share = frequency.get(keyword.decode("utf-8", "replace"))
    return share is None or share > COMMON_KEYWORD


def gateable_indices(rules: Sequence[Rule], frequency: Mapping[str, int] | None = None) -> frozenset[int]:
    """Indices of the rules a gate should cover: a pattern, and a common keyword (by
    `frequency`, default the shipped table)."""
    frequency = keyword_frequency() if frequency is None else frequency
    return frozenset(
        index
        for index, rule in enumerate(rules)
        if rule.pattern and any(is_common(keyword, frequency) for keyword in rule_keywords(rule))
    )


def gateable_rules(rules: Sequence[Rule]) -> list[Rule]:
    """The rules a gate may cover: a pattern and keywords (the prefilters' candidates)."""
    return [rule for rule in rules if rule.pattern and rule.keywords]


def table_for(rules: Sequence[Rule]) -> dict[str, str | None]:
    """rule_key -> relaxation steps (None: ungated) for each rule, found from scratch."""
    import hyperscan

    flags = _gate_flags(hyperscan)
    return {rule_key(rule): gate_steps(hyperscan, rule, flags, compile_pattern(rule.pattern)) for rule in rules}


def _replay(pattern: str, steps: str) -> str:
    """The gate expression reached from `pattern` by `steps`: `d` drops the leading atoms,
    `r` relaxes the longest group (see gate_steps)."""
    expression = gate_pattern(pattern)
    for step in steps:
        expression = drop_leading_atoms(expression) if step == "d" else relax_longest_group(expression)
    return expression


# Relaxations tried when a rule's gate misses one of its examples (see gate_steps).
_RELAXATIONS = 3


def gate_steps(hyperscan: Any, rule: Rule, flags: int, pattern: Any) -> str | None:
    """The relaxation steps (see _replay) to the first gate expression for one rule that is
    proven on its examples alone ("" for its own pattern); None: leave it ungated.

    Hyperscan 5.4 misses matches of some patterns once the input is longer than a few
    dozen bytes: `\\([ \\t]*["'][\\w.-]*?(?:password|pass|secret|apikey)` finds
    `x("password"` only while fewer than 6 bytes come before it. When the rule's own gate
    misses an example, two supersets are tried, each a few times: the pattern without the
    atoms before its first group (a match of the whole pattern ends with a match of the
    rest), then with its longest top-level group replaced by `.*`.
    """
    tried: set[str] = set()
    pending = [(gate_pattern(rule.pattern), "")]
    examples = [e.encode("utf-8") for e in rule.examples + rule.negative_examples]
    while pending and len(tried) <= 2 * _RELAXATIONS:
        expression, steps = pending.pop(0)
        if expression in tried:
            continue
        tried.add(expression)
        try:
            db = _compile(hyperscan, [expression.encode("utf-8")], [0], flags)
        except Exception:  # noqa: BLE001 - any construct Hyperscan rejects leaves the rule ungated
            db = None
        if db is not None:
            scratch = hyperscan.Scratch(db)
            if all(_gate_holds(pattern, db, scratch, 0, e) for e in examples):
                return steps
        for step, relaxed in (("d", drop_leading_atoms(expression)), ("r", relax_longest_group(expression))):
            if relaxed != expression:
                pending.append((relaxed, steps + step))
    return None


def drop_leading_atoms(pattern: str) -> str:
    """`pattern` without the atoms before its first top-level group (leading inline flags
    kept): wherever the pattern matches, what is left matches, ending at the same place.
    Unchanged when the pattern has a top-level `|` or starts with its first group."""
    depth = 0
    flags = _LEADING_FLAGS.match(pattern)
    start = flags.end() if flags else 0
    first: int | None = None
    for i, char in structural_chars(pattern, start):
        if char == "(":
            if depth == 0 and first is None and not pattern.startswith(("(?=", "(?!", "(?<=", "(?<!", "(?("), i):
                first = i
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif char == "|" and depth == 0:
            return pattern
    if first is None or first == start:
        return pattern
    return pattern[:start] + pattern[first:]


_LEADING_FLAGS = re.compile(r"(?:\(\?[a-zA-Z]+\))+")


def relax_longest_group(pattern: str) -> str:
    """`pattern` with its longest top-level group (and that group's quantifier) replaced by
    `.*`: whatever the group matched, `.*` matches too, so the result matches a superset."""
    best: tuple[int, int] | None = None
    depth, opened = 0, 0
    for i, char in structural_chars(pattern):
        if char == "(":
            if depth == 0:
                opened = i
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                head = pattern[opened : opened + 4]
                end = _quantifier_end(pattern, i + 1)
                # Lookarounds are no text to widen; named groups may be referred to later.
                if not head.startswith(("(?=", "(?!", "(?<=", "(?<!", "(?(", "(?P<")) and (
                    best is None or end - opened > best[1] - best[0]
                ):
                    best = (opened, end)
    if best is None or pattern[best[0] : best[1]] in (".*", "[^\\n]*"):
        return pattern
    # A group that cannot match a line end keeps the gate on one line, as the rule is.
    wide = "[^\\n]*" if _single_line(pattern[best[0] : best[1]]) else ".*"
    return pattern[: best[0]] + wide + pattern[best[1] :]


def _single_line(text: str) -> bool:
    """Conservatively: no construct in `text` can match a newline (no `.`, negated class,
    or escape such as \\s, \\W, \\n, \\x.., \\p{..})."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\":
            if i + 1 < n and text[i + 1] in "sSWDnvRXNpPhHVx0123456789cu":
                return False
            i += 2
            continue
        if char == "[":
            end = class_end(text, i)
            if text.startswith("[^", i) or not _single_line(text[i + 1 : end - 1].replace(".", "")):
                return False
            i = end
            continue
        if char == ".":
            return False
        i += 1
    return True


def _quantifier_end(pattern: str, i: int) -> int:
    """Index just past the quantifier (with its lazy/possessive mark) starting at i, if any."""
    if i < len(pattern) and pattern[i] in "*+?":
        i += 1
    else:
        m = _QUANTIFIER.match(pattern, i)
        if not m:
            return i
        i = m.end()
    return i + 1 if i < len(pattern) and pattern[i] in "?+" else i


# Where an example is tried: Hyperscan's prefilter approximation of some patterns only
# matches near the start of the input (seen with lazy repeats next to lookbehinds), so
# each example is also tried deep inside a line, after other lines, and before text.
_CONTEXTS = ((b"", b""), (b" " * 37, b""), (b"q" * 300 + b" ", b"\n"), (b"x = 1\n" * 30, b" tail" * 20))


def _gate_holds(pattern: Any, db: Any, scratch: Any, index: int, example: bytes) -> bool:
    """The gate fires on the example wherever the rule's regex matches it."""
    for before, after in _CONTEXTS:
        data = before + example + after
        try:
            matched = pattern.search(data, timeout=1.0) is not None
        except TimeoutError:
            matched = True
        if matched and index not in _ids_matching(db, scratch, data):
            return False
    return True


def _ids_matching(db: Any, scratch: Any, data: bytes) -> set[int]:
    hits: set[int] = set()
    db.scan(data, match_event_handler=_collector(hits), scratch=scratch)
    return hits


_QUANTIFIER = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")


def gate_pattern(pattern: str) -> str:
    """The pattern with every repeat bounded above _REPEAT_LIMIT opened up: `x{3,1000}` ->
    `x{3,}`, `x{100,8000}` -> `x{64,}`. Each rewrite only widens what matches."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            j = i + 2
            if i + 1 < n and pattern[i + 1] in "xpPNgk" and j < n and pattern[j] == "{":
                close = pattern.find("}", j)
                j = n if close < 0 else close + 1
            out.append(pattern[i:j])
            i = j
            continue
        if char == "[":
            j = class_end(pattern, i)
            out.append(pattern[i:j])
            i = j
            continue
        if char == "{":
            m = _QUANTIFIER.match(pattern, i)
            if m and (m.group(1) or m.group(3)):
                low = int(m.group(1) or 0)
                high = None if m.group(2) and not m.group(3) else int(m.group(3) or low)
                if (high is None and low > _REPEAT_LIMIT) or (high is not None and high > _REPEAT_LIMIT):
                    kept = min(low, _REPEAT_FLOOR)
                    out.append("*" if kept == 0 else "+" if kept == 1 else f"{{{kept},}}")
                else:
                    out.append(m.group(0))
                i = m.end()
                continue
        out.append(char)
        i += 1
    return "".join(out)


class LineFinder:
    """Lines that may hold a match of a pattern that never spans lines, found by Hyperscan.

    `expression` must match on the line of every match of the real pattern that counts. Without Hyperscan, `spans` returns None: scan
    everything, same result, only slower.
    """

    def __init__(self, expression: bytes) -> None:
        self._db: Any = None
        self._scratch: Any = None
        try:
            import hyperscan
        except ImportError:
            return
        from scanner.engine.cache import load_database

        self._db = load_database(
            "lines", [(expression, 0)], lambda: _compile(hyperscan, [expression], [0], hyperscan.HS_FLAG_ALLOWEMPTY)
        )
        self._scratch = hyperscan.Scratch(self._db)

    def spans(self, data: bytes) -> list[tuple[int, int]] | None:
        """Merged [line start, line end) ranges holding a prefix match, in order."""
        if self._db is None:
            return None
        ends: list[int] = []
        self._db.scan(data, match_event_handler=lambda i, s, e, f, c: ends.append(e), scratch=self._scratch)
        ends.sort()
        spans: list[tuple[int, int]] = []
        for end in ends:
            if spans and end <= spans[-1][1]:
                continue
            start = data.rfind(b"\n", 0, end - 1) + 1 if end else 0
            if spans and start <= spans[-1][1]:
                continue  # a match that ended past its line's newline: that line again
            stop = data.find(b"\n", end - 1 if end else 0)
            spans.append((start, len(data) if stop < 0 else stop))
        return spans
