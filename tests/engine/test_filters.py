"""Filters: each named predicate on values it must void and values it must keep.

Credential-shaped values are built at run time from a seeded generator, so this file
scans clean with keysweep itself.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from pathlib import Path

import pytest

from scanner.engine import filters as F
from scanner.engine.matcher import Matcher
from scanner.errors import RuleError
from scanner.rules import load_rule_pack, parse_rule

RNG = random.Random(4)
WORDS = ["harbor", "falcon", "quartz", "meadow", "lantern", "cobalt"]


def password() -> str:
    return f"{RNG.choice(WORDS).capitalize()}{RNG.choice('!#%&.')}{RNG.choice(WORDS)}{RNG.randrange(100, 9999)}"


def token(n: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(RNG.choice(alphabet) for _ in range(n - 2)) + str(RNG.randrange(10, 99))


def b64(n: int) -> str:
    return base64.b64encode(RNG.randbytes(n)).decode()


@pytest.fixture(scope="module")
def generic() -> Matcher:
    return Matcher([r for r in load_rule_pack() if r.provider in ("generic", "connection-string")])


# ---------------------------------------------------------------- predicates


def test_uuid_is_voided_only_in_uuid_shape() -> None:
    assert F.is_uuid(str(uuid.UUID(bytes=RNG.randbytes(16))), "")
    assert not F.is_uuid(RNG.randbytes(16).hex(), "")


def test_hex_digest_is_voided_only_where_the_line_speaks_of_hashes() -> None:
    digest = RNG.randbytes(32).hex()
    assert F.is_hash(digest, f'sha256 = "{digest}"')
    assert F.is_hash(digest, f"commit {digest}")
    assert not F.is_hash(digest, f'signing_key = "{digest}"')


@pytest.mark.parametrize("prefix", ["$2b$12$", "$argon2id$v=19$m=65536,t=3,p=4$", "pbkdf2_sha256$260000$", "{SSHA}"])
def test_password_hashes_are_voided(prefix: str) -> None:
    assert F.is_hash(prefix + b64(30).replace("+", "."), "")


def test_prefixed_digests_and_integrity_values() -> None:
    assert F.is_hash("sha256:" + RNG.randbytes(32).hex(), "")
    assert F.is_integrity("sha512-" + b64(64), "")
    assert not F.is_integrity(b64(64), "")


def test_data_uri() -> None:
    payload = b64(60)
    assert F.is_data_uri(payload, f'"icon": "data:image/png;base64,{payload}"')
    assert not F.is_data_uri(payload, f'"token": "{payload}"')


def test_public_material() -> None:
    assert F.is_public_material("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + b64(32), "")
    assert F.is_public_material("-----BEGIN PUBLIC KEY-----", "")
    assert F.is_public_material("pk_live_" + token(24), "")
    assert not F.is_public_material(token(), "")


def test_paths_and_urls() -> None:
    assert F.is_path("/run/secrets/db_password", "")
    assert F.is_path("./certs/server.key", "")
    assert F.is_path("C:\\keys\\signing.pfx", "")
    assert not F.is_path(b64(30).replace("+", "/"), "")
    assert F.is_url("https://auth.acme.io/oauth/token", "")
    assert not F.is_url("https://ops:" + password() + "@git.acme.io", "")


@pytest.mark.parametrize(
    "value, line",
    [
        ("get_password", "password = get_password()"),
        ("self.password", "password = self.password"),
        ("args.api_key", "api_key = args.api_key"),
        ("cfg.Password", "\tPassword: cfg.Password,"),
    ],
)
def test_code_is_voided(value: str, line: str) -> None:
    assert F.is_code(value, line)


def test_dotted_literals_are_not_code() -> None:
    value = f"{RNG.choice(WORDS).capitalize()}.{RNG.choice(WORDS)}{RNG.randrange(100, 9999)}"
    assert not F.is_code(value, f"DB_PASSWORD={value}")


@pytest.mark.parametrize("value", ["true", "False", "null", "None", "12345678", "string"])
def test_literals(value: str) -> None:
    assert F.is_literal(value, "")


@pytest.mark.parametrize(
    "value",
    ["password123", "changeme", "test-api-key", "not-a-real-secret", "P@ssw0rd", "testpassword", "fake_token_1"],
)
def test_fixture_values_are_fake(value: str) -> None:
    assert F.is_fake(value, "")


def test_realistic_passwords_are_not_fake() -> None:
    for _ in range(50):
        value = password()
        assert not F.is_fake(value, ""), value
        assert not F.is_wordish(value, ""), value


@pytest.mark.parametrize("value", ["componentDidMount", "createdAt", "SOME_CONSTANT", "my-db-password"])
def test_wordish(value: str) -> None:
    assert F.is_wordish(value, "")


@pytest.mark.parametrize(
    "line",
    [
        "publicKey: {v}",
        "csrf_token = '{v}'",
        "max_tokens = {v}",
        '<add key="CsrfToken" value="{v}" />',
        # `value` takes its name from the `name`/`key` entry, not from the nearest one
        '{{"name": "csrf_token", "type": "hidden", "value": "{v}"}}',
    ],
)
def test_nonsecret_names(line: str) -> None:
    value = token(20)
    assert F.is_nonsecret_name(value, line.format(v=value))


def test_secret_names_pass() -> None:
    value = token(20)
    for line in ("PAGERDUTY_TOKEN={v}", "client_secret: {v}", '<add key="ApiKey" value="{v}" />'):
        assert not F.is_nonsecret_name(value, line.format(v=value))


@pytest.mark.parametrize(
    "value", ["ENC[AES256_GCM,data:abc,iv:def,type:str]", "vault:v1:abcdef", "{cipher}AQA7f3k29", "!vault"]
)
def test_ciphertext_is_encrypted(value: str) -> None:
    assert F.is_encrypted(value, "")


@pytest.mark.parametrize(
    "value", ["${DB_PASSWORD}", "{{ .Values.token }}", "%(password)s", "$API_KEY", "{0}", "<%= ENV['X'] %>"]
)
def test_templates(value: str) -> None:
    assert F.is_templated(value, "")


def test_a_dollar_inside_a_password_is_not_a_template() -> None:
    assert not F.is_templated("Harbor$Falcon42", "")


def test_encoded_text_is_left_to_the_decoder() -> None:
    assert F.is_encoded_noise(base64.b64encode(b"changeme").decode(), "")
    assert not F.is_encoded_noise(b64(30), "")


def test_minified_bundle_line() -> None:
    line = "".join(f"function a{i}(e){{return e.token}}var x{i}=!0;" for i in range(40))
    assert F.is_minified("x", line)
    assert not F.is_minified("x", "var token = 1;")


# ---------------------------------------------------------------- groups and the rule format


def test_resolve_groups_and_names() -> None:
    assert F.resolve_filters(True) == F.DEFAULT_FILTERS
    assert F.resolve_filters(False) == ()
    resolved = F.resolve_filters(["default", "uuid", "uuid"])
    assert resolved == F.DEFAULT_FILTERS + ("uuid",)
    assert set(F.FILTER_GROUPS["generic"]) <= set(F.FILTERS)
    with pytest.raises(KeyError):
        F.resolve_filters(["no-such-filter"])


def test_rejection_names_the_filter() -> None:
    assert F.rejection("${X}", "", True) == "template"
    assert F.rejection(str(uuid.UUID(bytes=RNG.randbytes(16))), "", True) is None
    assert F.rejection(str(uuid.UUID(bytes=RNG.randbytes(16))), "", ["generic"]) == "uuid"


def _table(filters: object) -> dict[str, object]:
    return {"id": "x.y", "description": "d", "pattern": r"(?P<secret>\w+)", "keywords": ["k"], "filters": filters}


def test_rule_loader_accepts_filter_lists_and_rejects_unknown_names() -> None:
    rule = parse_rule(_table(["generic"]), source="t.toml", provider="x")
    assert rule.filters == ("generic",)
    with pytest.raises(RuleError, match="unknown filter"):
        parse_rule(_table(["bogus"]), source="t.toml", provider="x")
    with pytest.raises(RuleError):
        parse_rule(_table(3), source="t.toml", provider="x")


# ---------------------------------------------------------------- generic rules, end to end


def _found(matcher: Matcher, text: str) -> list[str]:
    return [m.secret for m in matcher.scan(text.encode())]


def test_generic_rules_find_credentials_in_many_syntaxes(generic: Matcher) -> None:
    cases = [
        "DB_PASSWORD={v}",
        'export MYSQL_ROOT_PASSWORD="{v}"',
        "  password: {v}",
        '{{"client_secret": "{v}"}}',
        'conn = connect(host=h, password="{v}")',
        "spring.datasource.password={v}",
        "ENV DB_PASSWORD {v}",
        "<password>{v}</password>",
        '<add key="StorageKey" value="{v}" />',
        'ds.setPassword("{v}");',
        'props.put("db.password", "{v}");',
        "- name: DB_PASSWORD\n  value: '{v}'",
        "mysql -u root -p{v} app",
        "psql --password '{v}'",
        "CREATE USER app WITH PASSWORD '{v}';",
        "postgres://app:{v}@db.internal:5432/app",
    ]
    for case in cases:
        value = password()
        assert value in _found(generic, case.format(v=value)), case


def test_generic_rules_stay_quiet_on_decoys(generic: Matcher) -> None:
    decoys = [
        "password = os.environ['DB_PASSWORD']",
        "password: ${DB_PASSWORD}",
        "password: '{{ vault_db_password }}'",
        "password = get_password()",
        "api_key: your-api-key-here",
        "password: changeme",
        f"tenant_id = '{uuid.UUID(bytes=RNG.randbytes(16))}'",
        f"api_key = '{uuid.UUID(bytes=RNG.randbytes(16))}'",
        f"checksum: {RNG.randbytes(32).hex()}",
        f'"integrity": "sha512-{b64(64)}"',
        f"public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{b64(32)}",
        f"csrf_token = '{token(24)}'",
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/test",
        f"password_hash = '$2b$12${b64(40)[:53]}'",
        "password: ENC[AES256_GCM,data:Zm9v,iv:YmFy,type:str]",
    ]
    for decoy in decoys:
        assert _found(generic, decoy) == [], decoy


def test_query_string_values_end_at_ampersand(generic: Matcher) -> None:
    value = token(16)
    assert _found(generic, f"https://svc.acme.io/login?user=ops&password={value}&next=/home") == [value]


def test_rule_pack_examples_still_hold(tmp_path: Path) -> None:
    """The generic files are part of the pack; `rules check` runs them, this keeps it honest here."""
    from scanner.rulecheck import check_rules

    rules = [r for r in load_rule_pack() if r.provider in ("generic", "connection-string")]
    assert check_rules(rules) == []


@pytest.mark.parametrize(
    "value",
    ["x25519.X25519PrivateKey", "_win32typing.PyCredHandle", "OAuth2Token", "_win32typing.PyIID"],
)
def test_type_names_in_annotations_are_not_secrets(value: str) -> None:
    from scanner.engine.filters import is_type_name

    assert is_type_name(value, f"    private_key: {value},")


@pytest.mark.parametrize("value", ["Summer2024Sky", "Violet.Salmon7385", "kT9vQ2mX7pL4wZ8r"])
def test_passwords_are_not_type_names(value: str) -> None:
    from scanner.engine.filters import is_type_name

    assert not is_type_name(value, f"password: {value}")


def test_filezilla_master_password_ciphertext_is_encrypted() -> None:
    value = token(44)
    assert F.is_encrypted(value, f'<Pass encoding="crypt" pubkey="{token(40)}">{value}</Pass>')
    assert not F.is_encrypted(value, f'<Pass encoding="base64">{value}</Pass>')


@pytest.mark.parametrize("value", ["PASSWORD_HERE", "your-token-here", "api_key_here"])
def test_fill_in_here_is_a_placeholder(value: str) -> None:
    assert F.is_placeholder(value, "")
    assert not F.is_placeholder(password() + "here", "")
