"""Structure validators (Grafana, Sentry, Mapbox, Elastic) and private-key blocks.

Tokens and keys are built here at run time (random bodies, freshly generated keys), so
this file holds no literal secret. Each test shows the validator accepting the real
structure and rejecting a near miss.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import string
import subprocess
import uuid
import zlib
from pathlib import Path

import pytest

from scanner.engine.matcher import Matcher
from scanner.engine.validators import VALIDATORS, _crc24
from scanner.rules import load_rule_file, load_rule_pack

ALNUM = string.ascii_letters + string.digits
RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20240611)


def _rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64json(payload: dict[str, object], urlsafe: bool = False) -> str:
    """Compact JSON for the URL-safe (Mapbox) form, Python's default spacing otherwise (Sentry)."""
    raw = json.dumps(payload, separators=(",", ":") if urlsafe else None).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") if urlsafe else base64.b64encode(raw).decode()


def _rule_ids(rule_file: str, text: str) -> list[str]:
    _, rules = load_rule_file(RULES / rule_file)
    return [m.rule_id for m in Matcher(rules).scan(text.encode())]


def test_grafana_service_account_checksum(rng: random.Random) -> None:
    head = "glsa_" + _rand(rng, 32)
    token = f"{head}_{zlib.crc32(head.encode()).to_bytes(4, 'little').hex()}"
    check = VALIDATORS["grafana-sa-crc32"]
    assert check(token)
    assert not check(token[:-1] + ("0" if token[-1] != "0" else "1"))
    big_endian = f"{head}_{zlib.crc32(head.encode()):08x}"
    assert big_endian == token or not check(big_endian)
    assert _rule_ids("grafana.toml", f"GRAFANA_TOKEN={token}\n") == ["grafana.service-account-token"]


def test_grafana_cloud_and_legacy_keys(rng: random.Random) -> None:
    cloud = "glc_" + _b64json({"o": "123456", "n": "stack-read", "k": _rand(rng, 24), "m": {"r": "us"}})
    assert VALIDATORS["grafana-cloud-token"](cloud)
    assert not VALIDATORS["grafana-cloud-token"]("glc_" + _b64json({"a": 1, "b": _rand(rng, 30)}))
    legacy = _b64json({"k": _rand(rng, 32), "n": "ci", "id": 7})
    assert VALIDATORS["grafana-api-key"](legacy)
    assert not VALIDATORS["grafana-api-key"](legacy[:-8] + _rand(rng, 8))


def test_cloudflare_tunnel_token(rng: random.Random) -> None:
    account = rng.randbytes(16).hex()
    tunnel = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    payload = {"a": account, "t": tunnel, "s": base64.b64encode(rng.randbytes(32)).decode()}
    # cloudflared writes the JSON compact: the token opens with eyJhIjoi.
    token = base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    assert VALIDATORS["cloudflare-tunnel-token"](token)
    assert not VALIDATORS["cloudflare-tunnel-token"](_b64json({"a": account, "t": "tunnel-1", "s": "x" * 20}))
    assert not VALIDATORS["cloudflare-tunnel-token"](_b64json({"a": 1, "b": _rand(rng, 30)}))
    assert _rule_ids("cloudflare.toml", f"TUNNEL_TOKEN={token}\n") == ["cloudflare.tunnel-token"]


def test_sentry_org_token(rng: random.Random) -> None:
    payload = _b64json(
        {"iat": 1712345678.9, "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "acme"}
    )
    secret = base64.b64encode(rng.randbytes(32)).decode().rstrip("=")
    token = f"sntrys_{payload}_{secret}"
    assert VALIDATORS["sentry-org-token"](token)
    assert not VALIDATORS["sentry-org-token"](f"sntrys_{_b64json({'org': 'acme'})}_{secret}")
    assert _rule_ids("sentry.toml", f"SENTRY_AUTH_TOKEN={token}\n") == ["sentry.org-auth-token"]


def test_mapbox_secret_token(rng: random.Random) -> None:
    body = _b64json({"u": "fleet", "a": _rand(rng, 25, string.ascii_lowercase + string.digits)}, urlsafe=True)
    token = f"sk.{body}.{_rand(rng, 22)}"
    assert VALIDATORS["mapbox-token"](token)
    assert not VALIDATORS["mapbox-token"](f"sk.{_b64json({'x': 1}, urlsafe=True)}.{_rand(rng, 22)}")
    assert _rule_ids("mapbox.toml", f"MAPBOX_TOKEN={token}\n") == ["mapbox.secret-token"]
    assert _rule_ids("mapbox.toml", f"MAPBOX_TOKEN=p{token[1:]}\n") == []


def test_elastic_api_key(rng: random.Random) -> None:
    encoded = base64.b64encode(f"{_rand(rng, 20)}:{_rand(rng, 22)}".encode()).decode()
    assert VALIDATORS["elastic-api-key"](encoded)
    assert not VALIDATORS["elastic-api-key"](base64.b64encode(_rand(rng, 42).encode()).decode())
    assert _rule_ids("elastic.toml", f'-H "Authorization: ApiKey {encoded}"\n') == ["elastic.api-key"]


def _pem_keys() -> dict[str, str]:
    crypto = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    enc = crypto.Encoding.PEM
    return {
        "sec1": ec_key.private_bytes(enc, crypto.PrivateFormat.TraditionalOpenSSL, crypto.NoEncryption()).decode(),
        "pkcs8": ed_key.private_bytes(enc, crypto.PrivateFormat.PKCS8, crypto.NoEncryption()).decode(),
        "legacy-encrypted": ec_key.private_bytes(
            enc, crypto.PrivateFormat.TraditionalOpenSSL, crypto.BestAvailableEncryption(b"pw")
        ).decode(),
        "openssh": ed_key.private_bytes(enc, crypto.PrivateFormat.OpenSSH, crypto.NoEncryption()).decode(),
        "public": ec_key.public_key().public_bytes(enc, crypto.PublicFormat.SubjectPublicKeyInfo).decode(),
    }


def test_private_key_blocks_are_found_whole() -> None:
    keys = _pem_keys()
    for name in ("sec1", "pkcs8", "legacy-encrypted"):
        text = "key: |\n  " + keys[name].strip().replace("\n", "\n  ") + "\n"
        found = Matcher(load_rule_file(RULES / "private-key.toml")[1]).scan(text.encode())
        assert [m.rule_id for m in found] == ["private-key.pem"], name
        assert found[0].secret.startswith("-----BEGIN") and found[0].secret.endswith("PRIVATE KEY-----")
    escaped = json.dumps({"private_key": keys["pkcs8"]})
    assert _rule_ids("private-key.toml", escaped) == ["private-key.pem"]
    assert _rule_ids("private-key.toml", keys["openssh"]) == ["private-key.openssh"]
    assert _rule_ids("private-key.toml", keys["public"]) == []


def test_private_key_validators_reject_wrong_bodies(rng: random.Random) -> None:
    keys = _pem_keys()
    body = "\n".join(_rand(rng, 64, ALNUM + "+/") for _ in range(4))
    assert VALIDATORS["pem-private-key"](keys["sec1"])
    assert not VALIDATORS["pem-private-key"](f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----")
    assert VALIDATORS["openssh-private-key"](keys["openssh"])
    assert not VALIDATORS["openssh-private-key"](keys["sec1"].replace("EC PRIVATE", "OPENSSH PRIVATE"))


@pytest.mark.skipif(shutil.which("gpg") is None, reason="needs gpg")
def test_pgp_private_key_block(tmp_path: Path) -> None:
    env = dict(os.environ, GNUPGHOME=str(tmp_path))
    tmp_path.chmod(0o700)
    spec = "%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nName-Real: T\nName-Email: t@t.invalid\n%commit\n"
    subprocess.run(["gpg", "--batch", "--gen-key"], input=spec.encode(), env=env, check=True, capture_output=True)

    def export(flag: str) -> str:
        out = subprocess.run(
            ["gpg", "--batch", "--armor", flag, "t@t.invalid"], env=env, check=True, capture_output=True
        )
        return out.stdout.decode()

    secret, public = export("--export-secret-keys"), export("--export")
    assert VALIDATORS["pgp-private-key"](secret)
    assert _rule_ids("private-key.toml", secret) == ["private-key.pgp"]
    forged = public.replace("PUBLIC KEY BLOCK", "PRIVATE KEY BLOCK")
    assert not VALIDATORS["pgp-private-key"](forged), "a public-key packet is not a secret key"


def test_clerk_secret_key_wins_over_stripe(rng: random.Random) -> None:
    line = f"CLERK_SECRET_KEY=sk_live_{_rand(rng, 42)}\n"
    # Rules with a `path` report only at their paths (scanner.findings): this line has none.
    found = [m.rule_id for m in Matcher([r for r in load_rule_pack() if not r.path]).scan(line.encode())]
    assert found == ["clerk.secret-key"]


def test_crc24_is_openpgps_checksum() -> None:
    """The catalogued check value of CRC-24/OPENPGP (RFC 4880 6.1) over "123456789"; with
    that pinned, the armors below may be built with the validator's own CRC."""
    assert _crc24(b"123456789") == 0x21CF02
    assert _crc24(b"") == 0xB704CE


def _armor(raw: bytes, crc_value: int | None = None) -> str:
    text = base64.b64encode(raw).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    crc = base64.b64encode((_crc24(raw) if crc_value is None else crc_value).to_bytes(3, "big")).decode()
    return "\n".join(
        ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *lines, "=" + crc, "-----END PGP PRIVATE KEY BLOCK-----"]
    )


def test_pgp_checksum_survives_lines_starting_with_plus() -> None:
    """Base64 lines may begin with `+` or `/`; the validator must keep them."""
    rng = random.Random(5)
    while True:
        raw = bytes([0x94, 0x58]) + rng.randbytes(250)
        block = _armor(raw)
        if any(line.startswith("+") for line in block.splitlines()):
            break
    assert VALIDATORS["pgp-private-key"](block)
    assert not VALIDATORS["pgp-private-key"](_armor(bytes([0x99, 0x58]) + raw[2:])), "tag 6 is a public key"
    assert not VALIDATORS["pgp-private-key"](_armor(raw, _crc24(raw) ^ 1)), "CRC-24 mismatch"
