"""Decoding: base64 values are decoded, scanned again, and reported where the encoded run is.

Every credential is built at run time from a seeded generator, then encoded.
"""

from __future__ import annotations

import base64
import json
import random

import pytest

from scanner.engine import decode
from scanner.engine.matcher import Matcher
from scanner.engine.prefilter import LineFinder, available_backends
from scanner.rules import load_rule_pack

RNG = random.Random(11)


def password() -> str:
    word = RNG.choice(["harbor", "falcon", "quartz", "meadow"])
    return f"{word.capitalize()}#{RNG.choice(['Lark', 'Reed', 'Moss'])}{RNG.randrange(1000, 9999)}"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    # Rules with a `path` report only in files of their name (rules/credential-files.toml):
    # these inputs have no path.
    return Matcher([rule for rule in load_rule_pack() if not rule.path])


def test_find_encoded_takes_text_and_skips_binary() -> None:
    text_run = b64("user:" + password())
    binary_run = base64.b64encode(bytes(range(200, 224))).decode()
    data = f"a: {text_run}\nb: {binary_run}\n".encode()
    runs = decode.find_encoded(data).runs
    assert [r.text for r in runs] == [base64.b64decode(text_run).decode()]
    assert data[runs[0].start : runs[0].end].decode() == text_run


def test_kubernetes_secret_data_is_reported_decoded_at_the_encoded_line(matcher: Matcher) -> None:
    secret = password()
    doc = f"apiVersion: v1\nkind: Secret\ndata:\n  username: {b64('app')}\n  password: {b64(secret)}\n"
    matches = matcher.scan(doc.encode())
    assert [(m.secret, m.line) for m in matches] == [(secret, 5)]
    assert matches[0].column == len("  password: ") + 1


def test_basic_auth_header_yields_the_password(matcher: Matcher) -> None:
    secret = password()
    line = f'curl -H "Authorization: Basic {b64("ops:" + secret)}" https://ci.acme.io'
    assert [m.secret for m in matcher.scan(line.encode())] == [secret]


def test_npmrc_auth(matcher: Matcher) -> None:
    secret = password()
    assert [m.secret for m in matcher.scan(f"_auth={b64('ci:' + secret)}\n".encode())] == [secret]


def test_dockerconfigjson_is_decoded_two_levels_deep(matcher: Matcher) -> None:
    secret = password()
    config = json.dumps({"auths": {"registry.acme.io": {"auth": b64("robot:" + secret)}}})
    doc = f"kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {b64(config)}\n"
    matches = matcher.scan(doc.encode())
    assert [(m.secret, m.line) for m in matches] == [(secret, 4)]


def test_depth_is_bounded(matcher: Matcher) -> None:
    secret = password()
    inner = f"password: {secret}"
    assert [m.secret for m in matcher.scan(f"blob: {b64(inner)}".encode())] == [secret]
    nested = b64(f"x: {b64(f'y: {b64(inner)}')}")
    assert decode.MAX_DEPTH == 2
    assert matcher.scan(f"blob: {nested}".encode()) == []


def test_multiline_decoded_text_is_scanned_alone(matcher: Matcher) -> None:
    first, second = password(), password()
    config = f"db:\n  host: db.internal\n  password: {first}\nsmtp:\n  password: {second}\n"
    matches = matcher.scan(f"  config.yaml: {b64(config)}\n".encode())
    assert sorted(m.secret for m in matches) == sorted([first, second])
    assert {m.line for m in matches} == {1}


def test_encoded_placeholder_gives_nothing(matcher: Matcher) -> None:
    for value in ("changeme", "password", "${DB_PASSWORD}"):
        assert matcher.scan(f"  password: {b64(value)}\n".encode()) == [], value


def test_random_key_under_a_secret_name_is_reported_as_is(matcher: Matcher) -> None:
    raw = base64.b64encode(RNG.randbytes(30)).decode()
    assert [m.secret for m in matcher.scan(f"SIGNING_KEY={raw}\n".encode())] == [raw]


def test_oversized_runs_are_not_decoded() -> None:
    secret = password()
    filler = "x" * (decode.MAX_ENCODED)
    run = b64(f"password: {secret}\n{filler}")
    assert len(run) > decode.MAX_ENCODED
    assert decode.find_encoded(f"a: {run}".encode()).runs == ()


def test_runs_are_capped_per_line_not_per_blob() -> None:
    """Hundreds of encoded values, one a line (a Kubernetes Secret with many keys) are all
    decoded; one line crowded past the cap keeps the rest encoded and says how many."""
    many_lines = "\n".join(f"k{i}: {b64(f'value number {i}')}" for i in range(400))
    crowded = " ".join(f"k{i}={b64(f'value number {i}')}" for i in range(decode.MAX_RUNS_PER_LINE + 10))
    encoded = decode.find_encoded(f"{many_lines}\n{crowded}\n".encode())
    assert len(encoded.runs) == 400 + decode.MAX_RUNS_PER_LINE and encoded.capped == 10


def test_a_secret_after_hundreds_of_encoded_values_is_found(matcher: Matcher) -> None:
    secret = password()
    values = [f"  k{i}: {b64(f'setting number {i} of many')}" for i in range(300)]
    data = "\n".join(["data:", *values, f"  db_password: {b64(secret)}"]) + "\n"
    assert secret in {m.secret for m in matcher.scan(data.encode())}


def test_provider_token_inside_base64_keeps_its_provider_rule(matcher: Matcher) -> None:
    """A rule's own example, encoded: the provider rule, not a generic one, reports it."""
    rule = next(r for r in load_rule_pack() if r.id == "github.classic-pat")
    found = Matcher([rule]).scan(rule.examples[0].encode())
    token = found[0].secret
    matches = matcher.scan(f"  token: {b64(token)}\n".encode())
    assert [(m.rule_id, m.secret) for m in matches] == [("github.classic-pat", token)]


def test_a_token_whose_first_part_decodes_is_still_reported(matcher: Matcher) -> None:
    """A JWT's header decodes to JSON; the token around it is the finding, not the header."""

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header = part(b'{"alg":"HS256","typ":"JWT"}')
    jwt = f"{header}.{part(json.dumps({'sub': RNG.randrange(10**6), 'n': RNG.random()}).encode())}.{part(RNG.randbytes(32))}"
    assert [m.secret for m in matcher.scan(f"  session_token: {jwt}\n".encode())] == [jwt]


def _unpadded(prefix: str) -> tuple[str, str]:
    """A password and base64 of prefix + password without its padding (one that pads, so
    the test means something)."""
    secret = password()
    if len((prefix + secret).encode()) % 3 == 0:
        secret += "!"
    return secret, b64(prefix + secret).rstrip("=")


def test_unpadded_base64_is_decoded_in_docker_and_npm_auth_fields(matcher: Matcher) -> None:
    """Hand-made docker configs and `.npmrc` files drop the padding: those fields are
    decoded without it, and the password is reported, not the encoded run."""
    for template in ('{{"auths": {{"r.acme.io": {{"auth": "{}"}}}}}}', "_auth={}", '//npm.acme.io/:_password="{}"'):
        secret, run = _unpadded("" if "_password" in template else "ci:")
        data = (template.format(run) + "\n").encode()
        runs = decode.find_encoded(data).runs
        assert len(runs) == 1 and runs[0].text.endswith(secret), template
        if "_password" not in template:
            assert secret in {m.secret for m in matcher.scan(data)}, template


def test_unpadded_base64_elsewhere_is_left_as_it_is() -> None:
    """Anywhere else an unpadded run is more often a word (`= CloseMatch`) than base64."""
    run = _unpadded("ci:")[1]
    for line in (f"password: {run}", f'"token": "{run}"', f"auth = {run}", f"x_auth_={run}"):
        assert decode.find_encoded(line.encode()).runs == (), line


@pytest.mark.skipif("hyperscan" not in available_backends(), reason="Hyperscan not installed")
def test_line_finder_keeps_unpadded_auth_fields() -> None:
    # The last line is found by both alternatives of RUN_PREFIX, one ending past its newline.
    lines = [f'  "auth": "{_unpadded("ci:")[1]}"', f"_auth={_unpadded('ci:')[1]}", f"_password={b64(password())}"]
    blob = ("\n".join(lines) + "\n").encode()
    spans = LineFinder(decode.RUN_PREFIX).spans(blob)
    assert spans is not None and len(spans) == len(set(spans)) == 3
    assert decode.find_encoded(blob, spans=spans) == decode.find_encoded(blob)
    assert len(decode.find_encoded(blob).runs) == 3
