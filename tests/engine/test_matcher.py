"""scanner.engine.matcher: what `scan` and `scan_regions` promise, through the real pack."""

from __future__ import annotations

import pytest

from scanner.engine.matcher import Matcher, Region
from scanner.rules import load_rule_pack
from tests.helpers import github_token


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    # Rules with a `path` report only at their paths (scanner.findings): these inputs have none.
    return Matcher([rule for rule in load_rule_pack() if not rule.path])


def _lines(*tokens: str, filler: int = 30) -> bytes:
    body = [f"value_{n} = {n}\n" for n in range(filler)]
    for index, token in enumerate(tokens):
        body.insert((index + 1) * filler // (len(tokens) + 1), f"GITHUB_TOKEN={token}\n")
    return "".join(body).encode()


def test_scan_finds_each_secret_once_in_start_order(matcher: Matcher) -> None:
    first, second = github_token("m1"), github_token("m2")
    data = _lines(first, second, first)
    found = matcher.scan(data)
    assert [m.secret for m in found] == [first, second, first]
    assert [m.line for m in found] == sorted(m.line for m in found)
    assert {m.rule_id for m in found} == {"github.classic-pat"}, "one rule per secret"


def test_scan_of_clean_text_finds_nothing(matcher: Matcher) -> None:
    assert matcher.scan(_lines()) == []


def test_scan_regions_keeps_only_matches_in_keep(matcher: Matcher) -> None:
    inside, outside = github_token("in"), github_token("out")
    data = _lines(outside, inside)
    at = data.index(inside.encode())
    line_start = data.rindex(b"\n", 0, at) + 1
    line_end = data.index(b"\n", at) + 1
    span = (data.rindex(b"\n", 0, line_start - 1) + 1, data.index(b"\n", line_end) + 1)
    found = matcher.scan_regions(data, [Region(span, (line_start, line_end))])
    assert found is not None
    assert [m.secret for m in found] == [inside]


def test_scan_regions_asks_for_a_whole_scan_when_regions_cover_everything(matcher: Matcher) -> None:
    data = _lines(github_token("all"))
    assert matcher.scan_regions(data, [Region((0, len(data)), (0, len(data)))]) is None
