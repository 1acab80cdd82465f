"""Named structural checks a rule can ask for (`validator = "name"`).

A validator gets the secret (the `secret` group) and says whether it is well formed:
a checksum that matches, a structure that decodes. It never calls the network.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from types import MappingProxyType

__all__ = ["VALIDATORS", "Validator"]

Validator = Callable[[str], bool]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(_BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def github_crc32(secret: str) -> bool:
    """GitHub's `gh?_` tokens end in 6 base62 chars: CRC32 of the 30 random chars before them."""
    _, _, body = secret.partition("_")
    if len(body) != 36:
        return False
    return _base62(zlib.crc32(body[:30].encode()), 6) == body[30:]


VALIDATORS: Mapping[str, Validator] = MappingProxyType(
    {
        "github-crc32": github_crc32,
    }
)
