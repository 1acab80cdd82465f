"""Named structural checks a rule can ask for (`validator = "name"`).

A validator gets the secret (the `secret` group) and says whether it is well formed:
a checksum that matches, a structure that decodes. It never calls the network.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import regex

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


def _b64_loose(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when it does not decode."""
    text = text.strip()
    try:
        return base64.b64decode(
            text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
        )
    except (binascii.Error, ValueError):
        return None


def _b64_json(text: str) -> dict[str, Any] | None:
    raw = _b64_loose(text)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def grafana_sa_crc32(secret: str) -> bool:
    """`glsa_<32>_<8 hex>`: the hex is CRC32 of `glsa_<32>`, little-endian (Grafana's satokengen)."""
    head, _, checksum = secret.rpartition("_")
    if len(checksum) != 8:
        return False
    return zlib.crc32(head.encode()).to_bytes(4, "little").hex() == checksum.lower()


def grafana_cloud_token(secret: str) -> bool:
    """`glc_` + base64 of a JSON object naming the org (`o`) and holding the key (`k`)."""
    payload = _b64_json(secret.removeprefix("glc_"))
    return payload is not None and "o" in payload and "k" in payload


def grafana_api_key(secret: str) -> bool:
    """Legacy Grafana API keys are base64 of `{"k": ..., "n": ..., "id": ...}`."""
    payload = _b64_json(secret)
    return payload is not None and "k" in payload and "id" in payload


def sentry_org_token(secret: str) -> bool:
    """`sntrys_<base64 JSON with iat/org>_<secret>`: the payload must decode."""
    body = secret.removeprefix("sntrys_")
    payload, _, _ = body.rpartition("_")
    decoded = _b64_json(payload)
    return decoded is not None and "iat" in decoded


def mapbox_token(secret: str) -> bool:
    """`sk.<base64url JSON with the user name u>.<signature>`."""
    parts = secret.split(".")
    if len(parts) != 3:
        return False
    payload = _b64_json(parts[1])
    return payload is not None and "u" in payload


def elastic_api_key(secret: str) -> bool:
    """An encoded Elasticsearch API key is base64 of `id:api_key`."""
    raw = _b64_loose(secret)
    if raw is None:
        return False
    try:
        key_id, sep, key = raw.decode("ascii").partition(":")
    except UnicodeDecodeError:
        return False
    return bool(sep) and len(key_id) >= 16 and len(key) >= 16 and ":" not in key


_PEM_BLOCK = regex.compile(r"-----BEGIN [A-Z0-9 ]+-----(.*?)-----END [A-Z0-9 ]+-----", regex.S)


def _pem_body(secret: str) -> tuple[list[str], str] | None:
    """Header lines and the base64 body of a PEM block (literal `\\n` escapes allowed)."""
    match = _PEM_BLOCK.search(secret.replace("\\r", "\n").replace("\\n", "\n"))
    if match is None:
        return None
    headers: list[str] = []
    body: list[str] = []
    for line in match.group(1).splitlines():
        line = line.strip().strip("\"',+").strip()
        if not line:
            continue
        (headers if ":" in line else body).append(line)
    return headers, "".join(body)


def pem_private_key(secret: str) -> bool:
    """The body decodes as base64 to a DER SEQUENCE (legacy encrypted PEM: to any bytes)."""
    parsed = _pem_body(secret)
    if parsed is None:
        return False
    headers, body = parsed
    raw = _b64_loose(body)
    if raw is None or len(raw) < 32:
        return False
    return bool(headers) or raw[0] == 0x30


def openssh_private_key(secret: str) -> bool:
    """OpenSSH's own format: the body decodes to `openssh-key-v1\\0`."""
    parsed = _pem_body(secret)
    if parsed is None:
        return False
    raw = _b64_loose(parsed[1])
    return raw is not None and raw.startswith(b"openssh-key-v1\0")


VALIDATORS: Mapping[str, Validator] = MappingProxyType(
    {
        "github-crc32": github_crc32,
        "grafana-sa-crc32": grafana_sa_crc32,
        "grafana-cloud-token": grafana_cloud_token,
        "grafana-api-key": grafana_api_key,
        "sentry-org-token": sentry_org_token,
        "mapbox-token": mapbox_token,
        "elastic-api-key": elastic_api_key,
        "pem-private-key": pem_private_key,
        "openssh-private-key": openssh_private_key,
    }
)
