"""Generic webhook delivery against a real HTTP server on 127.0.0.1, with a real SQLite journal."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
import subprocess
import sys
import threading
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from scanner import __version__
from scanner.actions import (
    DeliverySummary,
    WebhookTarget,
    default_state_dir,
    deliver,
    parse_targets,
    retry_pending,
    target_from_url,
)
from scanner.actions.journal import JOURNAL_NAME, Journal
from scanner.errors import WebhookError
from scanner.findings import redact
from tests.actions.conftest import Receiver, free_port, make_finding
from tests.helpers import github_token, random_chars, stripe_key

REPO = "https://git.example.invalid/team/app.git"
SPEC_FIELDS = {
    "rule_id",
    "description",
    "file",
    "line",
    "end_line",
    "column",
    "secret",
    "fingerprint",
    "entropy",
    "confidence",
    "commit",
    "author",
    "email",
    "date",
    "secret_sha256",
    "repository",
}


def signing_key() -> str:
    return "whsec-" + random_chars("signing", 24)


def expected_signature(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def fast(url: str, **kw: object) -> WebhookTarget:
    return WebhookTarget(url=url, backoff=0.01, **kw)  # type: ignore[arg-type]


def test_three_findings_give_three_signed_deliveries(receiver: Receiver, state_dir: Path) -> None:
    key = signing_key()
    tokens = [github_token(f"three-{i}") for i in range(3)]
    findings = [make_finding(t, line=i + 1) for i, t in enumerate(tokens)]

    summary = deliver(
        findings, [fast(receiver.url, secret_env="KS_SIGN")], state_dir=state_dir, repository=REPO, env={"KS_SIGN": key}
    )

    assert summary == DeliverySummary(sent=3, failed=0, skipped_duplicates=0)
    assert len(receiver.received) == 3
    for request, token, finding in zip(receiver.received, tokens, findings, strict=True):
        body = request.json
        assert request.path == "/hook"
        assert request.headers["x-keysweep-signature-256"] == expected_signature(key, request.body)
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == f"keysweep/{__version__}"
        assert request.headers["x-keysweep-event"] == "secret.leaked"
        assert request.headers["x-keysweep-delivery"] == body["delivery_id"]
        uuid.UUID(body["delivery_id"])
        assert body["event"] == "secret.leaked"
        assert datetime.fromisoformat(body["sent_at"].replace("Z", "+00:00")).tzinfo is not None
        record = body["finding"]
        assert set(record) == SPEC_FIELDS
        assert record["secret_sha256"] == hashlib.sha256(token.encode()).hexdigest()
        assert record["secret"] == redact(token)
        assert record["fingerprint"] == finding.fingerprint
        assert record["line"] == finding.line
        assert record["repository"] == REPO
        assert token not in request.body.decode()
    assert len({r.headers["x-keysweep-delivery"] for r in receiver.received}) == 3


def test_no_signature_header_without_secret_env(receiver: Receiver, state_dir: Path) -> None:
    deliver([make_finding(github_token("nosig"))], [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={})
    assert "x-keysweep-signature-256" not in receiver.received[0].headers


def test_raw_secret_only_with_include_secret(receiver: Receiver, state_dir: Path) -> None:
    token = github_token("raw")
    plain = fast(receiver.url + "?plain")
    raw = fast(receiver.url + "?raw", include_secret=True)
    deliver([make_finding(token)], [plain, raw], state_dir=state_dir, repository=REPO, env={})
    by_path = {r.path: r for r in receiver.received}
    assert by_path["/hook?plain"].json["finding"]["secret"] == redact(token)
    assert token not in by_path["/hook?plain"].body.decode()
    assert by_path["/hook?raw"].json["finding"]["secret"] == token
    assert by_path["/hook?raw"].json["finding"]["secret_sha256"] == hashlib.sha256(token.encode()).hexdigest()


def test_two_503s_are_retried_under_the_same_delivery_id(receiver: Receiver, state_dir: Path) -> None:
    key = signing_key()
    receiver.respond(503, 503)
    sleeps: list[float] = []
    target = WebhookTarget(url=receiver.url, secret_env="KS_SIGN", backoff=1.0)

    summary = deliver(
        [make_finding(github_token("503"))],
        [target],
        state_dir=state_dir,
        repository=REPO,
        env={"KS_SIGN": key},
        sleep=sleeps.append,
    )

    assert (summary.sent, summary.failed, summary.pending) == (1, 0, 0)
    assert len(receiver.received) == 3
    ids = {r.headers["x-keysweep-delivery"] for r in receiver.received}
    assert len(ids) == 1 and ids == {r.json["delivery_id"] for r in receiver.received}
    for request in receiver.received:
        assert request.headers["x-keysweep-signature-256"] == expected_signature(key, request.body)
    # Exponential backoff with jitter: attempt n waits within [2^(n-1)/2, 2^(n-1)] * backoff.
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_retry_after_is_honoured(receiver: Receiver, state_dir: Path) -> None:
    receiver.respond((429, {"Retry-After": "3"}), (503, {"Retry-After": "0"}))
    sleeps: list[float] = []
    summary = deliver(
        [make_finding(github_token("429"))],
        [fast(receiver.url)],
        state_dir=state_dir,
        repository=REPO,
        env={},
        sleep=sleeps.append,
    )
    assert summary.sent == 1
    assert sleeps == [3.0, 0.0]
    assert len(receiver.received) == 3


def test_a_long_retry_after_leaves_the_delivery_pending(receiver: Receiver, state_dir: Path) -> None:
    receiver.respond((503, {"Retry-After": "7200"}))
    sleeps: list[float] = []
    summary = deliver(
        [make_finding(github_token("long"))],
        [fast(receiver.url)],
        state_dir=state_dir,
        repository=REPO,
        env={},
        sleep=sleeps.append,
    )
    assert (summary.sent, summary.failed, summary.pending) == (0, 1, 1)
    assert sleeps == [] and len(receiver.received) == 1
    assert "7200" in summary.messages[0]


def test_other_4xx_fail_at_once_and_stay_pending_for_retry(receiver: Receiver, state_dir: Path) -> None:
    receiver.respond(400)
    sleeps: list[float] = []
    summary = deliver(
        [make_finding(github_token("400"))],
        [fast(receiver.url)],
        state_dir=state_dir,
        repository=REPO,
        env={},
        sleep=sleeps.append,
    )
    assert (summary.sent, summary.failed, summary.pending) == (0, 1, 1)
    assert not summary.ok
    assert sleeps == [] and len(receiver.received) == 1
    assert "HTTP 400" in summary.messages[0]

    again = retry_pending(state_dir=state_dir, env={}, sleep=sleeps.append)
    assert (again.sent, again.failed, again.pending) == (1, 0, 0)
    assert [r.headers["x-keysweep-delivery"] for r in receiver.received] == [
        receiver.received[0].headers["x-keysweep-delivery"]
    ] * 2


def test_redirects_are_not_followed(receiver: Receiver, state_dir: Path) -> None:
    receiver.respond((307, {"Location": "http://127.0.0.1:9/elsewhere"}))
    summary = deliver(
        [make_finding(github_token("redirect"))], [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={}
    )
    assert summary.failed == 1 and len(receiver.received) == 1


def test_a_second_scan_sends_nothing_again(receiver: Receiver, state_dir: Path) -> None:
    findings = [make_finding(github_token(f"again-{i}")) for i in range(3)]
    first = deliver(findings, [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={})
    second = deliver(findings, [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={})
    assert first.sent == 3
    assert second == DeliverySummary(sent=0, failed=0, skipped_duplicates=3)
    assert len(receiver.received) == 3

    # A new secret is new; the same secret found elsewhere is not.
    moved = make_finding(findings[0].secret, file="moved.py", line=40)
    fresh = make_finding(github_token("again-new"))
    third = deliver([moved, fresh], [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={})
    assert (third.sent, third.skipped_duplicates) == (1, 1)
    assert len(receiver.received) == 4
    assert receiver.received[-1].json["finding"]["secret_sha256"] == fresh.secret_sha256


def test_the_same_secret_twice_in_one_scan_is_sent_once(receiver: Receiver, state_dir: Path) -> None:
    token = github_token("twice")
    findings = [make_finding(token, file="a.py"), make_finding(token, file="b.py")]
    summary = deliver(findings, [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={})
    assert (summary.sent, summary.skipped_duplicates) == (1, 1)
    assert receiver.received[0].json["finding"]["file"] == "a.py"


def test_server_down_keeps_findings_pending_until_retry(state_dir: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    findings = [make_finding(github_token(f"down-{i}")) for i in range(3)]
    sleeps: list[float] = []
    target = WebhookTarget(url=url, max_attempts=3, backoff=0.01, timeout=2)

    summary = deliver(findings, [target], state_dir=state_dir, repository=REPO, env={}, sleep=sleeps.append)

    assert (summary.sent, summary.failed, summary.pending) == (0, 3, 3)
    # The first delivery used its attempts; the others wait for `webhook retry` at once.
    assert len(sleeps) == 2
    assert "connection failed" in summary.messages[0] and "3 deliveries left pending" in summary.messages[0]

    server = Receiver(port).start()
    try:
        again = retry_pending(state_dir=state_dir, env={}, sleep=sleeps.append)
        assert (again.sent, again.failed, again.pending) == (3, 0, 0)
        assert sorted(r.json["finding"]["secret_sha256"] for r in server.received) == sorted(
            f.secret_sha256 for f in findings
        )
        assert retry_pending(state_dir=state_dir, env={}) == DeliverySummary()
        assert deliver(findings, [target], state_dir=state_dir, repository=REPO, env={}).skipped_duplicates == 3
        assert len(server.received) == 3
    finally:
        server.stop()


def test_retry_resigns_with_the_key_in_the_environment_now(state_dir: Path) -> None:
    port = free_port()
    finding = make_finding(github_token("resign"))
    target = WebhookTarget(url=f"http://127.0.0.1:{port}/hook", secret_env="KS_SIGN", max_attempts=1)
    deliver([finding], [target], state_dir=state_dir, repository=REPO, env={"KS_SIGN": "old"})

    server = Receiver(port).start()
    try:
        missing = retry_pending(state_dir=state_dir, env={})
        assert (missing.sent, missing.failed, missing.pending) == (0, 1, 1)
        assert "KS_SIGN" in missing.messages[0] and server.received == []

        new_key = signing_key()
        done = retry_pending(state_dir=state_dir, env={"KS_SIGN": new_key})
        assert done.sent == 1
        request = server.received[0]
        assert request.headers["x-keysweep-signature-256"] == expected_signature(new_key, request.body)
    finally:
        server.stop()


def test_rules_globs_route_providers_to_different_endpoints(receiver: Receiver, state_dir: Path) -> None:
    gh = make_finding(github_token("route"), "github.classic-pat")
    st = make_finding(stripe_key("route"), "stripe.secret-key")
    targets = parse_targets(
        [
            {"url": receiver.url + "/github", "rules": ["github.*"]},
            {"url": receiver.url + "/stripe", "rules": ["stripe.*", "nothing.*"]},
            {"url": receiver.url + "/all"},
        ],
        source="team.toml",
    )
    summary = deliver([gh, st], targets, state_dir=state_dir, repository=REPO, env={})
    assert summary.sent == 4
    routed = sorted((r.path, r.json["finding"]["rule_id"]) for r in receiver.received)
    assert routed == [
        ("/hook/all", "github.classic-pat"),
        ("/hook/all", "stripe.secret-key"),
        ("/hook/github", "github.classic-pat"),
        ("/hook/stripe", "stripe.secret-key"),
    ]


def test_concurrent_scans_send_each_secret_once(receiver: Receiver, state_dir: Path) -> None:
    findings = [make_finding(github_token(f"race-{i}")) for i in range(15)]
    results: list[DeliverySummary] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def scan() -> None:
        try:
            start.wait()
            results.append(deliver(findings, [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scan) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r.sent for r in results) == 15
    assert sum(r.skipped_duplicates for r in results) == 30
    hashes = [r.json["finding"]["secret_sha256"] for r in receiver.received]
    assert sorted(hashes) == sorted(f.secret_sha256 for f in findings)


_KILLED_CHILD = """
import sys
from pathlib import Path
from scanner.actions import WebhookTarget, deliver
from scanner.findings import fingerprint
from scanner.model import Finding

url, state_dir, token = sys.argv[1:4]
finding = Finding("github.classic-pat", "GitHub PAT", "app.py", 1, 1, 1, token,
                  fingerprint("github.classic-pat", token), 4.0)
deliver([finding], [WebhookTarget(url=url, timeout=60)], state_dir=Path(state_dir),
        repository="child", env={})
print("finished")
"""


@pytest.mark.skipif(os.name != "posix", reason="liveness of the lease holder is checked by pid")
def test_a_process_killed_mid_delivery_loses_nothing(receiver: Receiver, state_dir: Path) -> None:
    token = github_token("killed")
    receiver.hold.clear()  # the receiver keeps the child waiting for its answer
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD, receiver.url, str(state_dir), token],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert receiver.arrived.wait(30), child.stderr.read() if child.stderr else ""
        first_id = receiver.received[0].headers["x-keysweep-delivery"]

        # While the child lives, its delivery is leased to it: a retry does not send it twice.
        assert retry_pending(state_dir=state_dir, env={}).sent == 0
        assert len(receiver.received) == 1

        child.kill()
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
    assert child.returncode != 0
    receiver.hold.set()

    summary = retry_pending(state_dir=state_dir, env={})
    assert (summary.sent, summary.failed, summary.pending) == (1, 0, 0)
    assert len(receiver.received) == 2
    assert receiver.received[1].headers["x-keysweep-delivery"] == first_id
    assert receiver.received[1].json["finding"]["secret_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert retry_pending(state_dir=state_dir, env={}).sent == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "http://10.0.0.8/hook",
        "http://127.0.0.1.example.com/hook",
        "HTTP://hooks.example.com/",
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(WebhookError, match=r"refusing plain http:// URL .*https://.*loopback"):
        target_from_url(url)


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/x", "file:///tmp/x", "hooks.example.com/x", "https:///no-host", "", "http://127.0.0.1:99999/"],
)
def test_other_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(WebhookError, match="--webhook"):
        target_from_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/x",
        "http://127.0.0.1:8080/",
        "http://127.8.9.10/",
        "http://[::1]:8080/",
        "http://localhost/hook",
        "http://LOCALHOST:1/",
    ],
)
def test_https_and_loopback_urls_are_accepted(url: str) -> None:
    assert target_from_url(url).url == url


def test_url_errors_do_not_echo_credentials_in_the_url() -> None:
    hidden = random_chars("url-credential", 20)
    with pytest.raises(WebhookError) as info:
        target_from_url(f"http://user:{hidden}@example.com/hook?token={hidden}")
    assert hidden not in str(info.value)
    assert "example.com/hook" in str(info.value)


def test_parse_targets_reads_every_field() -> None:
    (generic, gh) = parse_targets(
        [
            {
                "url": "https://hooks.example.com/ks",
                "secret_env": "KS_SIGN",
                "include_secret": True,
                "rules": ["aws.*"],
                "timeout": 3,
                "max_attempts": 2,
                "backoff": 0.5,
            },
            {"type": "github", "api_url": "https://ghe.example.com/api/v3/"},
        ],
        source="cfg.toml",
    )
    assert generic == WebhookTarget(
        url="https://hooks.example.com/ks",
        secret_env="KS_SIGN",
        include_secret=True,
        rules=("aws.*",),
        timeout=3.0,
        max_attempts=2,
        backoff=0.5,
        source="cfg.toml: [[webhooks]] #1",
    )
    assert gh.type == "github"
    assert gh.url == "https://ghe.example.com/api/v3/credentials/revoke"
    (default_gh,) = parse_targets([{"type": "github"}], source="cfg.toml")
    assert default_gh.url == "https://api.github.com/credentials/revoke"


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ({}, "url"),
        ({"url": "http://example.com/"}, "url"),
        ({"url": "https://h.example/", "colour": "red"}, "colour"),
        ({"url": "https://h.example/", "type": "slack"}, "type"),
        ({"url": "https://h.example/", "include_secret": "yes"}, "include_secret"),
        ({"url": "https://h.example/", "rules": "github.*"}, "rules"),
        ({"url": "https://h.example/", "secret_env": "not a name"}, "secret_env"),
        ({"url": "https://h.example/", "max_attempts": 0}, "max_attempts"),
        ({"url": "https://h.example/", "timeout": True}, "timeout"),
        ({"url": "https://h.example/", "api_url": "https://h.example/"}, "api_url"),
        ({"type": "github", "url": "https://h.example/"}, "url"),
        ({"type": "github", "include_secret": False}, "include_secret"),
        ({"type": "github", "api_url": "http://ghe.example.com/api/v3"}, "api_url"),
    ],
)
def test_parse_targets_errors_name_the_file_and_the_field(table: dict, field: str) -> None:
    with pytest.raises(WebhookError) as info:
        parse_targets([{"url": "https://ok.example/"}, table], source="cfg.toml")
    message = str(info.value)
    assert message.startswith("cfg.toml: [[webhooks]] #2: field ")
    assert f"field {field!r}" in message


def test_a_missing_signing_key_fails_before_anything_is_journalled(receiver: Receiver, state_dir: Path) -> None:
    with pytest.raises(WebhookError, match="'KS_SIGN' is not set"):
        deliver(
            [make_finding(github_token("nokey"))],
            [fast(receiver.url, secret_env="KS_SIGN")],
            state_dir=state_dir,
            repository=REPO,
            env={},
        )
    assert receiver.received == []
    assert not (state_dir / JOURNAL_NAME).exists()


def test_the_secret_is_never_in_messages_or_logs(
    receiver: Receiver, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = github_token("logs")
    key = signing_key()
    receiver.respond(400)
    summary = deliver(
        [make_finding(token)],
        [
            fast(receiver.url, include_secret=True, secret_env="KS_SIGN"),
            WebhookTarget(url=f"http://127.0.0.1:{free_port()}/down", max_attempts=1),
        ],
        state_dir=state_dir,
        repository=f"https://ci:{token}@git.example.invalid/app.git",
        env={"KS_SIGN": key},
    )
    assert summary.failed == 2 and len(summary.messages) == 2
    text = "\n".join([*summary.messages, summary.describe(), caplog.text])
    assert "delivery" in caplog.text  # something was logged
    for hidden in (token, key):
        assert hidden not in text
    # A credential in the remote URL never reaches the receiver either.
    assert receiver.received[0].json["finding"]["repository"] == "https://git.example.invalid/app.git"


def test_sent_secrets_are_wiped_from_the_journal(receiver: Receiver, state_dir: Path) -> None:
    token = github_token("wipe")
    deliver(
        [make_finding(token)], [fast(receiver.url, include_secret=True)], state_dir=state_dir, repository=REPO, env={}
    )
    journal_bytes = b"".join(p.read_bytes() for p in state_dir.iterdir())
    assert hashlib.sha256(token.encode()).hexdigest().encode() in journal_bytes
    with Journal.open(state_dir) as journal:
        assert journal.pending_count() == 0
    import sqlite3

    db = sqlite3.connect(state_dir / JOURNAL_NAME)
    (payload,) = db.execute("SELECT payload FROM deliveries").fetchone()
    db.close()
    assert payload is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_journal_is_private(receiver: Receiver, state_dir: Path) -> None:
    deliver([make_finding(github_token("perm"))], [fast(receiver.url)], state_dir=state_dir, repository=REPO, env={})
    assert stat.S_IMODE((state_dir / JOURNAL_NAME).stat().st_mode) == 0o600
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700


def test_default_state_dir(tmp_path: Path) -> None:
    assert default_state_dir({"KEYSWEEP_STATE_DIR": str(tmp_path / "s"), "XDG_STATE_HOME": "/x"}) == tmp_path / "s"
    assert default_state_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "keysweep"
    assert default_state_dir({"XDG_STATE_HOME": "relative", "HOME": str(tmp_path)}) == (
        tmp_path / ".local" / "state" / "keysweep"
    )
    assert default_state_dir({"HOME": str(tmp_path)}) == tmp_path / ".local" / "state" / "keysweep"


def test_nothing_to_send_touches_nothing(state_dir: Path) -> None:
    assert (
        deliver([], [WebhookTarget(url="https://h.example/")], state_dir=state_dir, repository=REPO, env={})
        == DeliverySummary()
    )
    assert retry_pending(state_dir=state_dir, env={}) == DeliverySummary()
    assert not state_dir.exists()
