"""Checksum and structure validators for cloud, code-hosting and registry tokens.

Every token is assembled here at run time from random characters plus its computed
checksum, so this file holds no literal secret.
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.engine.matcher import Matcher
from scanner.engine.validators import VALIDATORS
from scanner.rules import load_rule_file

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
RULES = Path(__file__).resolve().parents[2] / "rules"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _encode(number: int, alphabet: str, width: int) -> str:
    out = ""
    while number:
        number, rem = divmod(number, len(alphabet))
        out = alphabet[rem] + out
    return out.rjust(width, "0")


def _flip_last(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("1" if last != "1" else "2")


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20240607)


def github_style(rng: random.Random, prefix: str) -> str:
    body = _rand(rng, ALNUM, 30)
    return f"{prefix}_{body}{_encode(zlib.crc32(body.encode()), B62, 6)}"


@pytest.mark.parametrize("prefix", ["ghp", "gho", "ghu", "ghs", "npm"])
def test_github_crc32(rng: random.Random, prefix: str) -> None:
    token = github_style(rng, prefix)
    assert VALIDATORS["github-crc32"](token)
    assert not VALIDATORS["github-crc32"](_flip_last(token))
    assert not VALIDATORS["github-crc32"](token[:-1])


def test_cloudflare_crc32(rng: random.Random) -> None:
    body = _rand(rng, ALNUM, 40)
    token = f"cfut_{body}{zlib.crc32(body.encode()):08x}"
    assert VALIDATORS["cloudflare-crc32"](token)
    assert not VALIDATORS["cloudflare-crc32"](_flip_last(token))
    assert not VALIDATORS["cloudflare-crc32"](f"cfut_{body}")


def test_atlassian_crc32(rng: random.Random) -> None:
    app_password = "ATBB" + _rand(rng, ALNUM, 24)
    app_password += f"{zlib.crc32(app_password.encode()):08X}"
    access_token = "ATCTT3xFfGN0" + _rand(rng, URLSAFE, 170) + "="
    access_token += f"{zlib.crc32(access_token.encode()):08X}"
    for token in (app_password, access_token):
        assert VALIDATORS["atlassian-crc32"](token)
        assert not VALIDATORS["atlassian-crc32"](_flip_last(token))


def test_gitlab_routable_crc32(rng: random.Random) -> None:
    payload = _rand(rng, URLSAFE, 38)
    head = f"glpat-{payload}.01.{_encode(len(payload), B36, 2)}"
    token = head + _encode(zlib.crc32(head.encode()), B36, 7)
    check = VALIDATORS["gitlab-routable-crc32"]
    assert check(token)
    assert not check(_flip_last(token))
    assert not check(token + "x")
    assert check("glpat-" + _rand(rng, URLSAFE, 20)), "legacy tokens carry no checksum"


def _macaroon(rng: random.Random, location: bytes, signature: int = 32) -> str:
    ident = _rand(rng, string.hexdigits.lower(), 36).encode()
    caveat = json.dumps([3, _rand(rng, string.hexdigits.lower(), 36)]).encode()
    raw = (
        bytes([2, 1, len(location)])
        + location
        + bytes([2, len(ident)])
        + ident
        + b"\0"
        + bytes([2, len(caveat)])
        + caveat
        + b"\0\0"
        + bytes([6, signature])
        + rng.randbytes(signature)
    )
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_pypi_macaroon(rng: random.Random) -> None:
    check = VALIDATORS["pypi-macaroon"]
    assert check(_macaroon(rng, b"pypi.org"))
    assert check(_macaroon(rng, b"test.pypi.org"))
    assert not check(_macaroon(rng, b"evil.example"))
    assert not check(_macaroon(rng, b"pypi.org", signature=16))
    assert not check(_macaroon(rng, b"pypi.org")[:-6])


def _bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def _age_key(rng: random.Random) -> str:
    hrp = "age-secret-key-"
    data = [rng.randrange(32) for _ in range(52)]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = _bech32_polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return (hrp + "1" + "".join(BECH32[d] for d in data + checksum)).upper()


def test_bech32(rng: random.Random) -> None:
    check = VALIDATORS["bech32"]
    key = _age_key(rng)
    assert check(key)
    assert check(key.lower())
    body = key[:-1] + ("Q" if key[-1] != "Q" else "P")
    assert not check(body)
    # BIP-173 test vectors.
    assert check("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
    assert not check("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx")
    assert not check("no-separator")


def test_jfrog_reference_token(rng: random.Random) -> None:
    check = VALIDATORS["jfrog-reference-token"]
    good = base64.b64encode(f"reftkn:01:1893456000:{_rand(rng, ALNUM, 27)}".encode()).decode()
    assert check(good.rstrip("="))
    assert not check(base64.b64encode(b"reftkn:01:soon:" + rng.randbytes(20)).decode())
    assert not check(_rand(rng, ALNUM, 64))


def _jwt(rng: random.Random, claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{_rand(rng, URLSAFE, 43)}"


def test_jwt_service_role(rng: random.Random) -> None:
    check = VALIDATORS["jwt-service-role"]
    assert check(_jwt(rng, {"iss": "supabase", "role": "service_role", "exp": 2000000000}))
    assert not check(_jwt(rng, {"iss": "supabase", "role": "anon", "exp": 2000000000}))
    assert not check("not.a.jwt")


def _rule_matcher(provider: str, rule_id: str) -> Matcher:
    _, rules = load_rule_file(RULES / f"{provider}.toml")
    return Matcher([rule for rule in rules if rule.id == rule_id])


@pytest.mark.parametrize(
    ("provider", "rule_id", "make"),
    [
        ("github", "github.classic-pat", lambda r: github_style(r, "ghp")),
        ("npm", "npm.access-token", lambda r: github_style(r, "npm")),
    ],
)
def test_engine_reports_bad_checksums_at_low_confidence(
    provider: str, rule_id: str, make: Callable[[random.Random], str], rng: random.Random
) -> None:
    """Through the whole engine: the right checksum is high, a one-char change is low (a
    token typed or trimmed by hand is still worth a look), a placeholder nothing."""
    matcher = _rule_matcher(provider, rule_id)
    token = make(rng)
    found = matcher.scan(f'TOKEN = "{token}"\n'.encode())
    assert [(m.secret, m.confidence) for m in found] == [(token, "high")]
    flipped = _flip_last(token)
    found = matcher.scan(f'TOKEN = "{flipped}"\n'.encode())
    assert [(m.secret, m.confidence) for m in found] == [(flipped, "low")]
    assert matcher.scan(f'TOKEN = "{token[:4]}{"x" * (len(token) - 4)}"\n'.encode()) == []
