"""A busy machine must not change what the pack's rules find: they run without a time
budget. A clock that jumps ahead at every reading stands in for a machine under load
(every budget is spent at once); user rules keep their budget and say when it ran out."""

from __future__ import annotations

import itertools

import pytest

from scanner.engine import matcher as matcher_module
from scanner.engine.matcher import Matcher
from scanner.rules import load_rule_pack, parse_rule
from tests.helpers import random_chars

PACK = load_rule_pack()


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
