"""The whole pack at once: rules that see the same token must let the specific one win.

`rules check` runs each rule alone; here every rule's examples run through a matcher
holding every rule, so a generic shape (Stripe's `sk_live_`, OpenAI's `sk-`) that
shadows a more specific rule (Paystack, the OpenAI project key) shows up as a failure.
Tokens below are derived at run time; none is written out literally.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from scanner.engine.matcher import Matcher
from scanner.engine.validators import VALIDATORS
from scanner.rules import load_rule_pack

# Path rules (credential files) only report in files of their name, so they never compete
# with content rules for a line of any file: left out, as scan() leaves them out there.
PACK = tuple(rule for rule in load_rule_pack() if not rule.path)
HEX = "0123456789abcdef"
ALNUM = string.ascii_letters + string.digits


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    # Rules with a `path` report only at their paths (scanner.findings): these inputs have none.
    return Matcher([rule for rule in PACK if not rule.path])


def _chars(seed: str, length: int, alphabet: str) -> str:
    rng = random.Random(f"keysweep-overlap-{seed}")
    return "".join(rng.choice(alphabet) for _ in range(length))


def test_every_example_is_reported_as_its_own_rule_by_the_whole_pack(matcher: Matcher) -> None:
    shadowed = []
    whole = Matcher(PACK)  # path rules too: each set of one path is settled apart
    for rule in PACK:
        for example in rule.examples:
            found = [m.rule_id for m in whole.scan(example.encode("utf-8"))]
            if rule.id not in found:
                shadowed.append(f"{rule.id}: {found} for {example[:60]!r}")
    assert shadowed == []


@pytest.mark.parametrize(
    ("line", "rule_id"),
    [
        ("PAYSTACK_SECRET_KEY=sk_live_" + _chars("ps", 40, HEX), "paystack.secret-key"),
        ("STRIPE_SECRET_KEY=sk_live_" + _chars("st", 99, ALNUM), "stripe.secret-key"),
        (
            "OPENAI_API_KEY=sk-proj-" + _chars("p1", 74, ALNUM) + "T3Blbk" + "FJ" + _chars("p2", 74, ALNUM),
            "openai.project-key",
        ),
        ("DEEPSEEK_API_KEY=sk-" + _chars("ds", 32, HEX), "deepseek.api-key"),
        ("MAILGUN_WEBHOOK_SIGNING_KEY=key-" + _chars("mg", 32, HEX), "mailgun.webhook-signing-key"),
    ],
)
def test_specific_rule_wins_a_shared_token(matcher: Matcher, line: str, rule_id: str) -> None:
    assert [m.rule_id for m in matcher.scan(line.encode())] == [rule_id]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_discord_bot_token_validator() -> None:
    check = VALIDATORS["discord-bot-token"]
    tail = "." + _chars("d1", 6, ALNUM) + "." + _chars("d2", 38, ALNUM)
    assert check(_b64url(b"1" + "".join(_chars("d3", 18, "0123456789")).encode()) + tail)
    assert not check(_b64url(b"not-a-snowflake-id") + tail)
    assert not check(_b64url(b"12345") + tail)


def test_intercom_token_validator() -> None:
    check = VALIDATORS["intercom-token"]
    good = base64.b64encode(b"tok:" + _chars("ic", 36, HEX).encode() + b":1:0").decode()
    assert check(good)
    assert not check(base64.b64encode(b"key:" + _chars("ic", 36, HEX).encode()).decode())
    assert not check("dG9rO" + "!" * 10)


def test_vonage_secret_validator_and_rule(matcher: Matcher) -> None:
    check = VALIDATORS["vonage-secret"]
    lower, upper = string.ascii_lowercase, string.ascii_uppercase
    dashboard = _chars("vd", 16, lower + upper)  # 16 letters and digits: any mix
    rotated = _chars("vr1", 5, lower) + "-" + _chars("vr2", 4, upper) + "_" + _chars("vr3", 3, string.digits)
    assert check(dashboard) and check(rotated)
    assert not check(_chars("vn", 12, lower + upper))  # set through the API: needs a digit
    assert not check(_chars("vn", 12, lower + string.digits))  # and an uppercase letter
    for value, found in ((rotated, True), (rotated + _chars("vl", 14, ALNUM), False)):
        hits = [m.rule_id for m in matcher.scan(f"VONAGE_API_SECRET={value}\n".encode())]
        assert ("vonage.api-secret" in hits) is found, value


def test_jwt_structure_validator() -> None:
    check = VALIDATORS["jwt-structure"]
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps({"sub": "1"}).encode())
    assert check(f"{header}.{payload}.{_chars('sig', 342, ALNUM)}")
    assert not check(f"{_b64url(b'{}')}.{payload}.{_chars('sig', 342, ALNUM)}")
    assert not check(f"{header}.{_b64url(b'not json')}.sig")
    assert not check(f"{header}.{payload}")
