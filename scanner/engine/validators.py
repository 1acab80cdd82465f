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

__all__ = ["CHECKSUM_VALIDATORS", "VALIDATORS", "Validator"]

Validator = Callable[[str], bool]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _encode(number: int, alphabet: str, width: int) -> str:
    """`number` in base len(alphabet), zero-padded: how token checksums are written."""
    digits = []
    while number:
        number, rem = divmod(number, len(alphabet))
        digits.append(alphabet[rem])
    return "".join(reversed(digits)).rjust(width, alphabet[0])


def github_crc32(secret: str) -> bool:
    """GitHub's `gh?_` tokens end in 6 base62 chars: CRC32 of the 30 random chars before them."""
    _, _, body = secret.partition("_")
    if len(body) != 36:
        return False
    return _encode(zlib.crc32(body[:30].encode()), _BASE62, 6) == body[30:]


def _b64_loose(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when it does not decode."""
    text = text.strip()
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
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


_HEX32 = regex.compile(r"[0-9a-f]{32}\Z")
_UUID = regex.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def cloudflare_tunnel_token(secret: str) -> bool:
    """A Cloudflare Tunnel token is base64 of `{"a": <account tag>, "t": <tunnel id>, "s": <secret>}`."""
    value = _b64_json(secret)
    if value is None:
        return False
    account, tunnel, key = value.get("a"), value.get("t"), value.get("s")
    return (
        isinstance(account, str)
        and isinstance(tunnel, str)
        and isinstance(key, str)
        and bool(_HEX32.match(account))
        and bool(_UUID.match(tunnel))
        and len(key) >= 16
    )


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
        line = line.strip()
        if ":" in line:
            headers.append(line)
        else:
            body.extend(line.split())
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


def cloudflare_crc32(secret: str) -> bool:
    """`cfk_`/`cfut_`/`cfat_` + 40 chars + 8 hex: CRC32 of the 40 chars after the prefix."""
    _, _, body = secret.partition("_")
    if len(body) != 48:
        return False
    return f"{zlib.crc32(body[:40].encode()):08x}" == body[40:].lower()


def atlassian_crc32(secret: str) -> bool:
    """Atlassian tokens (`ATBB`, `ATCTT`, `ATATT`) end in 8 hex: CRC32 of everything before them."""
    if len(secret) < 16:
        return False
    return f"{zlib.crc32(secret[:-8].encode()):08X}" == secret[-8:].upper()


_GITLAB_ROUTABLE = regex.compile(r"\.[0-9a-z]{2}\.[0-9a-z]{2}[0-9a-z]{7}\Z")


def gitlab_routable_crc32(secret: str) -> bool:
    """Routable GitLab tokens end `.<version>.<length><crc>`, the CRC32 of all before it in base36.

    Legacy tokens (no `.01.` trailer) carry no checksum and pass.
    """
    if "." not in secret:
        return True
    if not _GITLAB_ROUTABLE.search(secret):
        return False
    return _encode(zlib.crc32(secret[:-7].encode()), _BASE36, 7) == secret[-7:]


def _varint(data: bytes, pos: int) -> tuple[int, int] | None:
    shift = value = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None


def pypi_macaroon(secret: str) -> bool:
    """`pypi-` + base64url of a version-2 macaroon issued for pypi.org or test.pypi.org,
    ending in a 32-byte signature field."""
    raw = _b64_loose(secret.removeprefix("pypi-"))
    if raw is None or len(raw) < 48 or raw[0] != 2:
        return False
    pos, location, fields = 1, b"", []
    while pos < len(raw):
        field = raw[pos]
        pos += 1
        if field == 0:
            fields.append(0)
            continue
        parsed = _varint(raw, pos)
        if parsed is None:
            return False
        length, pos = parsed
        value = raw[pos : pos + length]
        if len(value) != length:
            return False
        pos += length
        if field == 1 and not location:
            location = value
        fields.append(field)
        if field == 6:
            return pos == len(raw) and length == 32 and location in (b"pypi.org", b"test.pypi.org")
    return False


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def bech32(secret: str) -> bool:
    """A BIP-173 bech32 string (age keys: `AGE-SECRET-KEY-1…`) whose 6-char checksum holds."""
    text = secret.lower()
    hrp, sep, data = text.rpartition("1")
    if not sep or not hrp or len(data) < 6 or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    return _bech32_polymod(values) == 1


def jfrog_reference_token(secret: str) -> bool:
    """JFrog reference tokens are base64 of `reftkn:01:<expiry>:<random>`."""
    raw = _b64_loose(secret)
    if raw is None:
        return False
    parts = raw.split(b":")
    return len(parts) == 4 and parts[0] == b"reftkn" and parts[1].isdigit() and parts[2].isdigit()


def jwt_service_role(secret: str) -> bool:
    """A JWT whose payload claims `"role": "service_role"` (Supabase's RLS-bypassing key)."""
    parts = secret.split(".")
    if len(parts) != 3:
        return False
    header, payload = _b64_json(parts[0]), _b64_json(parts[1])
    return header is not None and payload is not None and payload.get("role") == "service_role"


def discord_bot_token(secret: str) -> bool:
    """Discord bot tokens open with the bot's user id (a 17-20 digit snowflake) in base64."""
    head = secret.split(".")[0]
    raw = _b64_loose(head)
    return raw is not None and raw.isdigit() and 17 <= len(raw) <= 20


def intercom_token(secret: str) -> bool:
    """Intercom access tokens are base64 of `tok:<id>:...`, printable ASCII."""
    raw = _b64_loose(secret)
    return raw is not None and raw.startswith(b"tok:") and len(raw) > 20 and all(32 < c < 127 for c in raw)


def vonage_secret(secret: str) -> bool:
    """Vonage's dashboard issues 16 letters and digits; a secret set through its Secret
    Management API is 8-25 characters holding a lowercase letter, an uppercase letter and
    a digit."""
    if len(secret) == 16 and secret.isascii() and secret.isalnum():
        return True
    return any(c.islower() for c in secret) and any(c.isupper() for c in secret) and any(c.isdigit() for c in secret)


def jwt_structure(secret: str) -> bool:
    """Three dot-separated parts whose header (with `alg`) and payload decode to JSON objects."""
    parts = secret.split(".")
    if len(parts) != 3:
        return False
    header, payload = _b64_json(parts[0]), _b64_json(parts[1])
    return header is not None and "alg" in header and payload is not None


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def pgp_private_key(secret: str) -> bool:
    """An armored block whose first packet is a secret key (tag 5); the CRC-24 line, if any, matches."""
    parsed = _pem_body(secret)
    if parsed is None:
        return False
    _, body = parsed
    body, sep, checksum = body.partition("=")
    while checksum.startswith("="):
        body, checksum = body + "=", checksum[1:]
    raw = _b64_loose(body)
    if not raw:
        return False
    first = raw[0]
    if first & 0xC0 == 0xC0:
        tag = first & 0x3F
    elif first & 0x80:
        tag = (first >> 2) & 0x0F
    else:
        return False
    if tag != 5:
        return False
    if sep and len(checksum) == 4:
        expected = _b64_loose(checksum)
        return expected is not None and int.from_bytes(expected, "big") == _crc24(raw)
    return True


VALIDATORS: Mapping[str, Validator] = MappingProxyType(
    {
        "github-crc32": github_crc32,
        "cloudflare-crc32": cloudflare_crc32,
        "atlassian-crc32": atlassian_crc32,
        "gitlab-routable-crc32": gitlab_routable_crc32,
        "pypi-macaroon": pypi_macaroon,
        "bech32": bech32,
        "jfrog-reference-token": jfrog_reference_token,
        "jwt-service-role": jwt_service_role,
        "grafana-sa-crc32": grafana_sa_crc32,
        "grafana-cloud-token": grafana_cloud_token,
        "cloudflare-tunnel-token": cloudflare_tunnel_token,
        "grafana-api-key": grafana_api_key,
        "sentry-org-token": sentry_org_token,
        "mapbox-token": mapbox_token,
        "elastic-api-key": elastic_api_key,
        "pem-private-key": pem_private_key,
        "openssh-private-key": openssh_private_key,
        "pgp-private-key": pgp_private_key,
        "discord-bot-token": discord_bot_token,
        "intercom-token": intercom_token,
        "vonage-secret": vonage_secret,
        "jwt-structure": jwt_structure,
    }
)

# Validators that check a checksum the issuer writes into every token. A token of the right
# shape whose checksum fails is no live token, but it is still worth a look (a token typed
# by hand, a fixture copied from a real one): it is reported at low confidence, where a
# failed structure check (a JWT that does not decode) drops the candidate.
CHECKSUM_VALIDATORS = frozenset(
    {
        "github-crc32",
        "cloudflare-crc32",
        "atlassian-crc32",
        "gitlab-routable-crc32",
        "grafana-sa-crc32",
        "bech32",
    }
)
