"""Confidence per match (scanner.engine.confidence): high for tokens that prove their kind,
medium for values found by position, low for failed checksums and weak values. Tokens are
built at run time."""

from __future__ import annotations

import pytest

from scanner.engine.confidence import assess, is_weak
from scanner.engine.matcher import Matcher
from scanner.errors import RuleError
from scanner.model import CONFIDENCES, confidence_at_least
from scanner.rulecheck import check_rule
from scanner.rules import load_rule_pack, parse_rule
from tests.helpers import aws_key_id, github_token, random_chars

HEX = "0123456789abcdef"


@pytest.fixture(scope="module")
def pack() -> Matcher:
    return Matcher(tuple(r for r in load_rule_pack() if not r.path))


def _found(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(m.rule_id, m.confidence) for m in matcher.scan((text + "\n").encode())]


def _flip_last(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_thresholds_order_low_medium_high() -> None:
    assert CONFIDENCES == ("low", "medium", "high")
    assert confidence_at_least("high", "medium") and confidence_at_least("low", "low")
    assert not confidence_at_least("low", "medium")


def test_a_checksummed_token_is_high_and_a_broken_one_low(pack: Matcher) -> None:
    token = github_token("conf")
    assert _found(pack, f"GITHUB_TOKEN={token}") == [("github.classic-pat", "high")]
    # The provider rule keeps the secret (priority): a generic rule does not resurrect it at medium.
    assert _found(pack, f"GITHUB_TOKEN={_flip_last(token)}") == [("github.classic-pat", "low")]


def test_a_prefix_token_without_a_validator_is_high(pack: Matcher) -> None:
    assert _found(pack, f"key_id = {aws_key_id('conf')}") == [("aws.access-key-id", "high")]


def test_a_structure_failure_is_still_a_drop(pack: Matcher) -> None:
    """Only checksum validators report their failures; a JWT that does not decode is nothing."""
    bogus = "eyJ" + random_chars("jwt-a", 30) + ".eyJ" + random_chars("jwt-b", 40) + "." + random_chars("jwt-c", 43)
    assert [rule for rule, _ in _found(pack, f"token: {bogus}") if rule.startswith("jwt")] == []


def test_generic_assignments_are_medium_and_weak_values_low(pack: Matcher) -> None:
    strong = "Cactus$" + random_chars("pw", 6) + "71"
    assert _found(pack, f'db_password = "{strong}"') == [("generic.password", "medium")]
    short = "Gx7#" + random_chars("short", 2)
    assert _found(pack, f'db_password = "{short}"') == [("generic.password", "low")]


@pytest.mark.parametrize(
    ("value", "weak"),
    [
        ("Gx7#kQ", True),
        ("DefaultPassword1", True),
        ("admin-access-portal", True),
        ("Nimbus!8842Fox", False),
        ("kq7vzmxwpbtrhdga", False),
        ("Tr0ub4dor&3x", False),
    ],
)
def test_weak_values(value: str, weak: bool) -> None:
    assert is_weak(value) is weak


def test_context_rules_are_medium(pack: Matcher) -> None:
    key = random_chars("owm", 32, HEX)
    assert _found(pack, f"OPENWEATHER_API_KEY={key}") == [("openweather.api-key", "medium")]


def test_a_rule_may_set_its_confidence_and_a_bad_checksum_still_lowers_it() -> None:
    table = {
        "id": "team.token",
        "description": "Team token",
        "pattern": "(?P<secret>team_[a-z0-9]{24})",
        "keywords": ["team_"],
    }
    rule = parse_rule(table, source="t.toml", provider=None, user=True)
    secret = "team_" + random_chars("team", 24, "abcdefghijklmnopqrstuvwxyz0123456789")
    assert assess(rule, secret) == "high"  # the keyword opens the token
    low = parse_rule({**table, "confidence": "low"}, source="t.toml", provider=None, user=True)
    assert assess(low, secret) == "low"
    assert (
        assess(
            parse_rule({**table, "confidence": "high"}, source="t.toml", provider=None, user=True),
            secret,
            checksum_failed=True,
        )
        == "low"
    )
    with pytest.raises(RuleError, match="confidence"):
        parse_rule({**table, "confidence": "certain"}, source="t.toml", provider=None, user=True)


def test_rules_check_counts_a_low_negative_as_not_found() -> None:
    (rule,) = [r for r in load_rule_pack() if r.id == "github.classic-pat"]
    token = github_token("neg")
    negative = f"GITHUB_TOKEN={_flip_last(token)}"
    checked = parse_rule(
        {
            "id": "github.classic-pat",
            "description": rule.description,
            "pattern": rule.pattern,
            "keywords": list(rule.keywords),
            "validator": rule.validator,
            "examples": [f"GITHUB_TOKEN={token}"],
            "negative_examples": [negative],
        },
        source="github.toml",
        provider="github",
    )
    assert check_rule(checked) == []
    # An example that is only low (its checksum fails) is not found.
    broken = parse_rule(
        {
            **{"id": "github.classic-pat", "description": "d", "pattern": rule.pattern, "keywords": ["ghp_"]},
            "validator": "github-crc32",
            "examples": [negative],
            "negative_examples": ["nothing here"],
        },
        source="github.toml",
        provider="github",
    )
    [problem] = check_rule(broken)
    assert "low confidence" in problem
