"""Bounded line views: windows and line text cost a few KiB around a position, whatever the
line length, and on ordinary lines they are exactly what a plain line-by-line reading gives."""

from __future__ import annotations

import random
import time

from scanner.engine.lines import MULTILINE_SPAN, REACH, LineTexts, keyword_windows, merge
from scanner.engine.matcher import Matcher, _deduplicate
from scanner.model import INLINE_ALLOW_MARKERS, Match, Rule
from scanner.rules import load_rule_pack
from tests.helpers import github_token

PACK = load_rule_pack()
GITHUB = [rule for rule in PACK if rule.id == "github.classic-pat"]


def _reference_windows(data: bytes, keyword: bytes, multiline: bool) -> list[tuple[int, int]]:
    """The plain reading: for every hit, the line before through the line after (multiline:
    through the first line end MULTILINE_SPAN on), each hit on its own, then merged."""
    lowered = data.lower()
    ranges = []
    position = lowered.find(keyword)
    while position >= 0:
        end = position + len(keyword)
        line_start = data.rfind(b"\n", 0, position) + 1
        start = data.rfind(b"\n", 0, line_start - 1) + 1 if line_start > 0 else 0
        if multiline:
            stop = data.find(b"\n", min(len(data), end + MULTILINE_SPAN))
        else:
            line_end = data.find(b"\n", end)
            stop = -1 if line_end < 0 else data.find(b"\n", line_end + 1)
        ranges.append((start, len(data) if stop < 0 else stop))
        position = lowered.find(keyword, position + 1)
    return merge(sorted(ranges))


def _short_lines(rnd: random.Random, count: int) -> bytes:
    words = [b"key", b"token", b"x", b"KEYKEY", b"value", b"=", b"'", b"pass", b" ", b"\n", b"\n"]
    return b"".join(rnd.choice(words) for _ in range(count))


def test_windows_on_short_lines_equal_the_plain_reading() -> None:
    rnd = random.Random(4)
    for _ in range(200):
        data = _short_lines(rnd, rnd.randrange(1, 400))
        for keyword in (b"key", b"keykey", b"pass", b"token"):
            for multiline in (False, True):
                assert keyword_windows(data, data.lower(), keyword, multiline) == _reference_windows(
                    data, keyword, multiline
                ), (data, keyword, multiline)


def test_windows_on_long_lines_reach_a_bounded_span_around_each_hit() -> None:
    filler = b"x" * (3 * REACH)
    data = filler + b" key " + filler + b" key " + filler
    windows = keyword_windows(data, data.lower(), b"key", False)
    assert len(windows) == 2
    for (start, end), hit in zip(windows, (len(filler) + 1, 2 * len(filler) + 6), strict=True):
        assert start <= hit and end >= hit + 3
        assert end - start <= 2 * REACH + 3


def test_a_line_made_of_the_keyword_takes_few_steps() -> None:
    data = b"A" * 4_000_000
    started = time.monotonic()
    windows = keyword_windows(data, data, b"A" * 21, False)
    assert time.monotonic() - started < 0.5
    assert windows == [(0, len(data))]


def test_long_lines_scan_in_linear_time_and_still_find_tokens() -> None:
    matcher = Matcher(GITHUB)
    token = github_token(7)
    timings = []
    for size in (250_000, 1_000_000, 4_000_000):
        data = b"A" * size + b" token = '" + token.encode() + b"' " + b"ghp_" * (size // 16)
        started = time.monotonic()
        found = matcher.scan(data)
        timings.append(time.monotonic() - started)
        assert [m.secret for m in found] == [token]
        assert len(found[0].line_text) <= 2 * REACH + len(token)
    assert timings[-1] < 2.0, timings


def test_line_text_keeps_a_far_allow_marker_and_stays_bounded() -> None:
    token = github_token(3)
    data = b"x " * 50_000 + b"'" + token.encode() + b"' " + b"y " * 50_000 + b"# keysweep:allow\nnext\n"
    start = data.index(token.encode())
    text = LineTexts(data, INLINE_ALLOW_MARKERS).text(start, start + len(token))
    assert token in text and "keysweep:allow" in text
    assert len(text) < 3 * REACH
    # A marker on another line does not count.
    other = data.replace(b"\n", b" ", 0).replace(b"# keysweep:allow\n", b"\n# keysweep:allow\n")
    start = other.index(token.encode())
    assert "keysweep:allow" not in LineTexts(other, INLINE_ALLOW_MARKERS).text(start, start + len(token))


def test_short_lines_keep_their_whole_text() -> None:
    token = github_token(5)
    data = b"first\nprefix = '" + token.encode() + b"'  # a comment\nlast\n"
    start = data.index(token.encode())
    assert LineTexts(data, INLINE_ALLOW_MARKERS).text(start, start + len(token)) == (f"prefix = '{token}'  # a comment")


def _naive_dedup(matches: list[Match], priority: dict[str, int]) -> list[Match]:
    ranked = sorted(matches, key=lambda m: (-priority[m.rule_id], -(m.end - m.start), m.rule_id, m.start))
    kept: list[Match] = []
    for match in ranked:
        if all(match.end <= other.start or match.start >= other.end for other in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: (m.start, m.end, m.rule_id))


def test_deduplication_equals_the_pairwise_reading() -> None:
    rnd = random.Random(11)
    rules = [Rule(id=f"r.{n}", description="", provider="r", pattern="x", priority=n % 3) for n in range(5)]
    priority = {rule.id: rule.priority for rule in rules}
    for _ in range(300):
        matches = []
        for _ in range(rnd.randrange(0, 40)):
            start = rnd.randrange(0, 200)
            end = start + rnd.randrange(1, 30)
            matches.append(Match(rnd.choice(rules).id, "b", start, end, "s", 1, 1, 1, 0.0))
        assert _deduplicate(matches, priority) == _naive_dedup(matches, priority)


def test_a_slow_rule_gets_a_neutral_warning_naming_the_input() -> None:
    slow = Rule(
        id="test.slow",
        description="catastrophic on purpose",
        provider="test",
        pattern=r"(?P<secret>(?:a|a)+b)",
        keywords=("aaaa",),
        filters=False,
        source="test.toml",
    )
    matcher = Matcher([slow], backend="aho-corasick")
    # No bound on the time taken (a loaded machine decides that): without the budget this
    # scan would not end at all, 2**40 ways to match.
    assert matcher.scan(b"a" * 40 + b"c", where="src/app.js") == []
    assert len(matcher.warnings) == 1
    warning = matcher.warnings[0]
    assert "src/app.js" in warning and "that part was not checked by this rule" in warning
    assert "catastroph" not in warning
