"""A busy machine must not change what the pack's rules find: they run without a time
budget. A clock that jumps ahead at every reading stands in for a machine under load
(every budget is spent at once); user rules keep their budget and say when it ran out."""

from __future__ import annotations

import itertools

import pytest

from scanner.engine import matcher as matcher_module
from scanner.engine.matcher import Matcher
from scanner.rules import load_rule_pack, parse_rule
from tests.helpers import github_token, random_chars

PACK = tuple(r for r in load_rule_pack() if not r.path)  # path rules report in their files only


@pytest.fixture
def busy_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = itertools.count(0, 10.0)  # ten seconds pass between any two readings
    monkeypatch.setattr(matcher_module.time, "monotonic", lambda: next(ticks))


def test_every_pack_example_is_found_on_a_busy_machine(busy_clock: None) -> None:
    matcher = Matcher(PACK)
    missed = [
        f"{rule.id}: {example[:50]!r}"
        for rule in PACK
        for example in rule.examples
        if rule.id not in {m.rule_id for m in matcher.scan(example.encode())}
    ]
    assert missed == [] and matcher.warnings == []


def test_a_file_dense_with_candidates_is_checked_whole(busy_clock: None) -> None:
    """Thousands of password lines in one blob: every one is checked, as it is when the
    same lines are scanned a few at a time (0.1 gave up part way through such files)."""
    lines = [f"password={random_chars(n, 12, 'abcdefghijkmnopqrstuvwxyz23456789')}" for n in range(3000)]
    matcher = Matcher(PACK)
    whole = {m.secret for m in matcher.scan(("\n".join(lines) + "\n").encode())}
    pieces = set()
    for start in range(0, len(lines), 50):
        pieces |= {m.secret for m in matcher.scan(("\n".join(lines[start : start + 50]) + "\n").encode())}
    assert whole == pieces and len(whole) > 1000


def test_a_user_rule_keeps_its_budget_and_says_when_it_ran_out(busy_clock: None) -> None:
    rule = parse_rule(
        {"id": "acme.token", "pattern": r"(?P<secret>acme_[a-z0-9]{16})", "keywords": ["acme_"]},
        source="user.toml",
        provider=None,
        user=True,
    )
    matcher = Matcher([rule])
    assert matcher.scan(b"key = acme_" + random_chars("u", 16, "abcdef0123456789").encode()) == []
    assert any("acme.token" in warning and "timed out" in warning for warning in matcher.warnings)


def test_the_megabyte_of_password_lines_that_switched_a_rule_off(busy_clock: None) -> None:
    """0.9 MB of `password=` lines made 0.1 time generic.password out and switch it off for
    the rest of the scan; the value on the last line must still be found."""
    value = random_chars("last", 14, "abcdefghijkmnopqrstuvwxyz23456789")
    data = b"password=\n" * 90_000 + b"password=password=password=\n" * 300 + f"password={value}\n".encode()
    matcher = Matcher(PACK)
    found = {(m.rule_id, m.secret) for m in matcher.scan(data)}
    assert ("generic.password", value) in found and matcher.warnings == []


@pytest.mark.parametrize("fill", [" ", "a", "A1", "-", "=", ":", "password="])
def test_long_lines_after_every_keyword_are_checked_whole(busy_clock: None, fill: str) -> None:
    """Inputs built to make a backtracking pattern slow: every keyword of the pack followed
    by a long run of one kind of character. Each line is checked as it is alone, and a
    token after them all is still found: no rule gave up on the way."""
    keywords = sorted({keyword for rule in PACK for keyword in rule.keywords})
    lines = [f"{keyword}{fill * (600 // len(fill))}" for keyword in keywords]
    token = github_token(f"after-{fill}")
    matcher = Matcher(PACK)
    # A .netrc value may follow its token on the next line (tokens are whitespace-separated).
    across = {"credential-files.netrc"}
    text = ("\n".join([*lines, token]) + "\n").encode()
    whole = {(m.rule_id, m.secret) for m in matcher.scan(text) if m.rule_id not in across}
    alone = {(m.rule_id, m.secret) for line in [*lines, token] for m in matcher.scan(f"{line}\n".encode())}
    assert whole == alone and ("github.classic-pat", token) in whole and matcher.warnings == []
