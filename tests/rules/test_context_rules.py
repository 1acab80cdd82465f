"""Context rules (`[rules.context]`): a provider's name near a credential name, assigned a
value of the provider's documented shape. Values are built at run time."""

from __future__ import annotations

import pytest

from scanner.engine.matcher import Matcher
from scanner.errors import RuleError
from scanner.rules import parse_rule
from tests.helpers import random_chars

HEX = "0123456789abcdef"


def _rule(**context: object):
    table = {
        "id": "acmeweather.api-key",
        "description": "AcmeWeather API key",
        "context": {"names": ["acmeweather", "awx"], "value": "[0-9a-f]{32}", **context},
        "min_entropy": 3.0,
    }
    return parse_rule(table, source="acmeweather.toml", provider="acmeweather")


KEY = random_chars("ctx", 32, HEX)


@pytest.mark.parametrize(
    "text",
    [
        f"ACMEWEATHER_API_KEY={KEY}",
        f'awx.key: "{KEY}"',
        f"acmeweather:\n  api_key: {KEY}\n",
        f'[acmeweather]\napikey = "{KEY}"\n',
        f'"acmeweather": {{\n    "token": "{KEY}"\n}}',
        f'const acmeWeatherApiKey = "{KEY}";',
        f'let myAwxSecret = "{KEY}"',
        f'ENV["ACMEWEATHER_API_KEY"] = "{KEY}"',
        f"ACMEWEATHER_API_KEY_PROD={KEY}",
    ],
)
def test_a_context_rule_finds_the_value_under_its_providers_name(text: str) -> None:
    [match] = Matcher([_rule()]).scan(text.encode())
    assert match.secret == KEY


@pytest.mark.parametrize(
    "text",
    [
        f"nowhere_key={KEY}",  # `awx`/`acmeweather` inside another word
        f"ACMEWEATHER_KEYBOARD={KEY}",  # the name goes on past the kind
        f"ACMEWEATHER_API_KEY={KEY}ab",  # the value goes on past its shape
        f"ACMEWEATHER_REGION={KEY}",  # no credential kind in the name
        "ACMEWEATHER_API_KEY=" + "0" * 32,  # entropy
    ],
)
def test_a_context_rule_needs_name_kind_and_shape(text: str) -> None:
    assert Matcher([_rule()]).scan(text.encode()) == []


def test_keywords_default_to_the_names_and_kinds_can_be_narrowed() -> None:
    assert _rule().keywords == ("acmeweather", "awx")
    narrow = _rule(kinds=["license[_.-]?key"])
    assert Matcher([narrow]).scan(f"AWX_LICENSE_KEY={KEY}".encode())
    assert not Matcher([narrow]).scan(f"AWX_API_KEY={KEY}".encode())


@pytest.mark.parametrize(
    ("context", "problem"),
    [
        ({"names": []}, "context.names"),
        ({"value": "(?P<secret>[a-f]{8})"}, "context.value"),
        ({"shape": "x"}, "context.shape"),
    ],
)
def test_a_bad_context_table_names_the_field(context: dict, problem: str) -> None:
    with pytest.raises(RuleError, match=problem.replace(".", r"\.")):
        _rule(**context)


def test_a_rule_has_a_pattern_or_a_context_not_both() -> None:
    table = {"id": "x.y", "description": "d", "pattern": "(?P<secret>a)", "context": {"names": ["x"], "value": "a"}}
    with pytest.raises(RuleError, match="not both"):
        parse_rule(table, source="x.toml", provider="x")
