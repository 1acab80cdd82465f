"""scanner.backtrack names the pattern shapes a backtracking engine can take exponential
or polynomial time on; user patterns with an exponential one are refused at load."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scanner.backtrack import risks
from scanner.errors import RuleError
from scanner.rules import load_rule_pack, parse_rule
from tests.helpers import run_cli

needs_311 = pytest.mark.skipif(sys.version_info < (3, 11), reason="possessive and atomic syntax parse from 3.11")


def kinds(pattern: str) -> set[str]:
    found = risks(pattern)
    assert found is not None, pattern
    return {risk.kind for risk in found}


@pytest.mark.parametrize(
    "pattern",
    [
        r"k(a+)+$",
        r"k(\w+\s?)*$",
        r"k(?:x[a-z]+)+!",
        r"k(?:\d+|[0-9a-f]+)+y",
        r"k(?:[a-z]+: .*|[a-z0-9]+)+\n",
        r"(?i)k(?:[A-Z]+[a-z]*)+!",
        r"k(?:\w{1,8}){1,30}[.=]",  # bounded, but 8 ways to end each of 30 iterations
    ],
)
def test_a_repeat_inside_a_repeat_over_the_same_characters_is_exponential(pattern: str) -> None:
    assert "exponential" in kinds(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"k(?:[a-z]+\.)+com",  # the dot ends each iteration
        r"k(?:-[a-z]+)+",  # the dash begins each
        r"k(?:[A-Za-z][A-Za-z\-]*: [^\r\n]*\r?\n|[A-Za-z0-9+/=]{1,100}\r?\n){3,1000}?end",
        r"k(?:a{1,10}){1,3}",  # few iterations: a bounded cost per start
        r"ghp_[A-Za-z0-9]{36}",
        r"key\s*[:=]\s*(?P<secret>\S+)",
    ],
)
def test_unambiguous_repeats_are_not_exponential(pattern: str) -> None:
    assert "exponential" not in kinds(pattern)


@pytest.mark.parametrize("pattern", [r"x\s*:?\s*y", r"k\s*(?:\s+t)?!", r"[a-z]+@", r"(?:[a-z]+\.)+com"])
def test_repeats_side_by_side_or_in_front_are_polynomial(pattern: str) -> None:
    assert kinds(pattern) == {"polynomial"}


@pytest.mark.parametrize("pattern", [r"\b[a-z]+@", r"k\s*[\"']?(?:Bearer\s+)?t", r"key\s*=\s*\S+"])
def test_guarded_and_disjoint_repeats_are_clean(pattern: str) -> None:
    assert kinds(pattern) == set()


@needs_311
def test_atomic_and_possessive_repeats_give_nothing_back() -> None:
    assert kinds(r"x\s*+:?\s*y") == set()
    assert "exponential" not in kinds(r"k(?>a+)+b")


def test_syntax_outside_python_is_not_analysed() -> None:
    assert risks(r"\p{L}+x") is None


def test_no_pack_pattern_can_take_exponential_time() -> None:
    exponential = {
        rule.id: [risk.what for risk in found]
        for rule in load_rule_pack()
        if (found := [r for r in risks(rule.pattern) or [] if r.kind == "exponential"])
    }
    assert exponential == {}


def test_a_user_pattern_that_can_take_exponential_time_is_refused() -> None:
    table = {"id": "acme.token", "pattern": r"acme_(?P<secret>(?:[a-z]+\d?)+)!", "keywords": ["acme_"]}
    with pytest.raises(RuleError, match=r"acme\.token.*exponential time"):
        parse_rule(table, source="user.toml", provider=None, user=True)


def test_a_user_pattern_with_polynomial_risk_loads_and_keeps_its_budget() -> None:
    table = {"id": "acme.token", "pattern": r"acme\s*:?\s*(?P<secret>[a-z0-9]{16})", "keywords": ["acme"]}
    rule = parse_rule(table, source="user.toml", provider=None, user=True)
    assert not rule.builtin


def test_the_cli_names_the_refused_rule_and_exits_2(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / ".keysweep.toml").write_text(
        '[[rules]]\nid = "acme.token"\ndescription = "Acme"\nkeywords = ["acme_"]\n'
        "pattern = '''acme_(?P<secret>(\\w+\\s?)*)!'''\n"
    )
    (tmp_path / "a.txt").write_text("nothing here\n")
    result = run_cli(["dir", str(tmp_path)], cwd=tmp_path, capsys=capsys, monkeypatch=monkeypatch)
    assert result.code == 2
    assert "acme.token" in result.err and "exponential time" in result.err and "Traceback" not in result.err
