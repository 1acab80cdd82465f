"""How sure keysweep is of a match: the confidence its finding is reported at.

- high: the token proves its kind. A validator confirmed it (a checksum, a JWT or PEM
  structure), or the secret itself carries one of the rule's keywords (`ghp_`, `AKIA`,
  `xoxb-`): a distinctive prefix, not a name seen nearby.
- medium: the value is a credential by where it stands: a generic assignment
  (`password = …`), a context rule (a provider's name before `_API_KEY`), a connection
  string, or a provider rule whose keyword is context rather than part of the token.
- low: a token of a checksum-bearing shape whose checksum fails (no issuer wrote it, but
  someone may have typed or trimmed a real one), or a value a medium rule found that is
  weak on its own: short, or word-like (`DefaultPassword1`).

A rule's `confidence` (TOML) replaces what its kind gives; a failed checksum is evidence
about the token, not the rule's default, so it lowers every rule to low.
"""

from __future__ import annotations

from scanner.engine.filters import word_letters
from scanner.model import Rule

__all__ = ["WEAK_LENGTH", "assess", "by_position", "is_weak"]

# Shorter values are weak whatever they hold: a generic rule takes values from 3 or 4
# characters on, and a random 16-character value is the least a generator issues.
WEAK_LENGTH = 8
# Providers whose rules find values by position alone (rules/generic.toml, connection strings).
_POSITIONAL_PROVIDERS = frozenset({"generic", "connection-string"})


def by_position(rule: Rule) -> bool:
    """The rule says a value is a credential by the name or syntax around it."""
    return rule.context or rule.provider in _POSITIONAL_PROVIDERS


def _carries_keyword(rule: Rule, secret: str) -> bool:
    """The token holds a keyword of its rule: it opens with one (`ghp_`), or holds one of
    four characters or more (`…AZDO…`); shorter ones inside a value could be chance."""
    lowered = secret.lower()
    for keyword in rule.keywords:
        word = keyword.lower()
        if lowered.startswith(word) or (len(word) >= 4 and word in lowered):
            return True
    return False


def is_weak(secret: str) -> bool:
    """Short, or word-like: three quarters words, at most two digits, no symbol but `_-.`
    (`DefaultPassword1`, `admin-access`). A password built to a policy (`Cactus$Orbit71`:
    words, digits and a symbol) is a credential, not weak."""
    if len(secret) < WEAK_LENGTH:
        return True
    if any(not (c.isalnum() or c in "_-.") for c in secret) or sum(c.isdigit() for c in secret) > 2:
        return False
    return 4 * word_letters(secret) >= 3 * len(secret)


def _by_kind(rule: Rule, secret: str) -> str:
    if by_position(rule):
        return "medium"
    if rule.validator or _carries_keyword(rule, secret):
        return "high"
    return "medium"


def assess(rule: Rule, secret: str, *, checksum_failed: bool = False) -> str:
    """The confidence of a match of `rule` on `secret` that every check kept (a failed
    checksum, `checksum_failed`, is the one failure that is reported, at low)."""
    if checksum_failed:
        return "low"
    if rule.confidence:
        return rule.confidence
    confidence = _by_kind(rule, secret)
    if confidence == "medium" and is_weak(secret):
        return "low"
    return confidence
