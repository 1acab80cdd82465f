"""Filters that must not eat real secrets (issue 15): `xxx` inside a random token, random
lower-case tokens, `.env` values that start with `=` or `~`, and minified bundles that must
not look like basic auth. Every value is built at run time."""

from __future__ import annotations

import random
import re
import string

import pytest

from scanner.engine import filters as F
from scanner.engine.matcher import Matcher
from scanner.rules import load_rule_pack

RNG = random.Random(15)


def _random(alphabet: str, n: int, rng: random.Random = RNG) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.fixture(scope="module")
def generic() -> Matcher:
    return Matcher([r for r in load_rule_pack() if r.provider in ("generic", "connection-string")])


# ---------------------------------------------------------------- placeholders


def test_a_random_token_holding_xxx_once_is_not_a_placeholder() -> None:
    body = _random(string.ascii_letters + string.digits, 28)
    for x_run in ("xXx", "XXX", "xxx"):
        value = body[:9] + x_run + body[9:]
        assert not F.is_placeholder(value, f'token = "{value}"'), value


@pytest.mark.parametrize(
    "value",
    [
        "x" * 32,
        "XXXXXXXXXXXXXXXX",
        "sk_live_" + "x" * 24,
        "AKIA" + "X" * 16,
        "xxxx-xxxx-xxxx-xxxx",
        "xxx_xxx_xxx",
        "abcd" + "xxxx" + "1234",
        "****xxxx",
    ],
)
def test_x_runs_and_masks_are_placeholders(value: str) -> None:
    assert F.is_placeholder(value, "")


def test_random_tokens_are_rarely_placeholders() -> None:
    """Before: any `xxx` in any case voided a value, about 1 in 1,000 random 32-char tokens."""
    rng = random.Random(1)
    alphabet = string.ascii_letters + string.digits
    voided = sum(F.is_placeholder(_random(alphabet, 32, rng), "") for _ in range(20_000))
    assert voided <= 4  # what is left: values of very few distinct characters, repeats


# ---------------------------------------------------------------- word-like values


def test_english_like_reads_syllables() -> None:
    for word in ("component", "mount", "password", "lantern", "strength", "database"):
        assert F.english_like(word), word
    for letters in ("kqvzmxwp", "hobxqtrzv", "zzkrtpq"):
        assert not F.english_like(letters), letters


def test_random_lower_case_tokens_are_not_wordish() -> None:
    """A random lower-case token is one long segment with vowels: the old check, a vowel and
    no five consonants in a row, voided 13% of 20-letter ones and a third of 12-letter ones."""
    rng = random.Random(2)
    for length, most in ((12, 0.04), (20, 0.005)):
        values = [_random(string.ascii_lowercase, length, rng) for _ in range(5_000)]
        share = sum(F.is_wordish(v, "") for v in values) / len(values)
        assert share <= most, (length, share)


def _old_wordish(value: str) -> bool:
    """What the word-like filter asked of a lower-case value before: a vowel, and no five
    consonants in a row."""
    return bool(re.search("[aeiouy]", value)) and not re.search("[^aeiouy]{5,}", value)


def test_a_random_lower_case_secret_is_found(generic: Matcher) -> None:
    rng = random.Random(3)
    value = next(v for v in iter(lambda: _random(string.ascii_lowercase, 20, rng), "") if _old_wordish(v))
    found = generic.scan(f'API_SECRET="{value}"\n'.encode())
    assert [m.secret for m in found] == [value]


@pytest.mark.parametrize("value", ["componentDidMount", "HTTPPasswordMgr", "getattr", "configuration"])
def test_words_stay_wordish(value: str) -> None:
    assert F.is_wordish(value, "")


# ---------------------------------------------------------------- .env values


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("DB_PASSWORD==x8#Lq{tail}", "=x8#Lq{tail}"),
        ("API_SECRET=~k2{tail}", "~k2{tail}"),
        ("export SERVICE_TOKEN==Rf9{tail}", "=Rf9{tail}"),
    ],
)
def test_env_values_starting_with_equals_or_tilde_are_found(generic: Matcher, line: str, secret: str) -> None:
    tail = _random(string.ascii_letters + string.digits, 14)
    found = generic.scan((line.format(tail=tail) + "\n").encode())
    assert [m.secret for m in found] == [secret.format(tail=tail)]


@pytest.mark.parametrize(
    "line",
    ["if PASSWORD == other_password:", "password =~ /^[a-z0-9]{12}$/", "  [[ $API_SECRET =~ ^sk ]] && exit 1"],
)
def test_comparisons_and_regex_matches_are_not_assignments(generic: Matcher, line: str) -> None:
    assert generic.scan((line + "\n").encode()) == []


# ---------------------------------------------------------------- minified code


def _bundle_line(rng: random.Random) -> str:
    """One line of a JS bundle as an HTTP client ships it: many small functions, and the
    request config object with `auth:e.auth`."""

    def name() -> str:
        return rng.choice(string.ascii_lowercase) + rng.choice(["", "t", "n", "r"])

    parts = []
    for _ in range(40):
        a, b, c = name(), name(), name()
        parts.append(
            f"function {a}({b},{c}){{var {name()}={b}.config||{{}};return {c}.headers&&"
            f'({c}.headers["Content-Type"]="application/json"),void 0!=={b}.timeout?{b}.timeout:0}}'
        )
    parts.insert(20, "var r={baseURL:e.baseURL,auth:e.auth,timeout:e.timeout||0,maxRedirects:21,withCredentials:!1}")
    parts.insert(25, 't.auth&&(n.Authorization="Basic "+btoa(t.auth.username+":"+t.auth.password))')
    return "!function(){" + ";".join(parts) + "}();"


def test_a_minified_bundle_is_not_basic_auth(generic: Matcher) -> None:
    line = _bundle_line(random.Random(5))
    assert len(line) > 5000
    assert [m.rule_id for m in generic.scan((line + "\n").encode())] == []


def test_basic_auth_credentials_are_still_found(generic: Matcher) -> None:
    password = "Tern#" + _random(string.digits, 4) + "Glade"
    found = generic.scan(f"curl -H 'Authorization: Basic ops:{password}'\n".encode())
    assert [m.secret for m in found] == [password]
