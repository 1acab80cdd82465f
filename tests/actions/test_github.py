"""The built-in GitHub revocation target, against a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.actions import DeliverySummary, deliver, parse_targets, retry_pending
from scanner.actions.github import MAX_BATCH
from tests.actions.conftest import Receiver, make_finding
from tests.helpers import github_token, stripe_key

PREFIXES = ("ghp", "github_pat", "gho", "ghu", "ghr")


def github_target(receiver: Receiver, **extra: object):
    (target,) = parse_targets(
        [{"type": "github", "api_url": f"http://127.0.0.1:{receiver.port}/api/v3/", "backoff": 0.01, **extra}],
        source="cfg.toml",
    )
    return target


def tokens(count: int, tag: str) -> list[str]:
    return [github_token(f"{tag}-{i}", PREFIXES[i % len(PREFIXES)]) for i in range(count)]


def sent_credentials(receiver: Receiver) -> list[list[str]]:
    return [r.json["credentials"] for r in receiver.received]


def test_tokens_are_revoked_in_batches_of_at_most_1000(receiver: Receiver, state_dir: Path) -> None:
    leaked = tokens(2500, "batch")
    findings = [make_finding(t) for t in leaked]
    findings.append(make_finding(stripe_key("batch"), "stripe.secret-key"))

    summary = deliver(findings, [github_target(receiver)], state_dir=state_dir, repository="repo", env={})

    assert summary == DeliverySummary(sent=2500, failed=0, skipped_duplicates=0)
    batches = sent_credentials(receiver)
    assert [len(b) for b in batches] == [MAX_BATCH, MAX_BATCH, 500]
    assert sorted(t for b in batches for t in b) == sorted(leaked)
    for request in receiver.received:
        assert request.path == "/api/v3/credentials/revoke"
        assert "authorization" not in request.headers  # GitHub refuses authenticated calls
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["user-agent"].startswith("keysweep/")
        assert set(request.json) == {"credentials"}

    again = deliver(findings, [github_target(receiver)], state_dir=state_dir, repository="repo", env={})
    assert (again.sent, again.skipped_duplicates) == (0, 2500)
    assert len(receiver.received) == 3


def test_the_target_stops_when_the_rate_limit_is_used_up(receiver: Receiver, state_dir: Path) -> None:
    leaked = tokens(2500, "limit")
    receiver.respond(
        (202, {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "1"}),
        (202, {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1900000000"}),
    )
    sleeps: list[float] = []

    summary = deliver(
        [make_finding(t) for t in leaked],
        [github_target(receiver)],
        state_dir=state_dir,
        repository="repo",
        env={},
        sleep=sleeps.append,
    )

    assert (summary.sent, summary.failed, summary.pending) == (2000, 500, 500)
    assert len(receiver.received) == 2 and sleeps == []
    assert "rate limit" in summary.messages[0] and "1900000000" in summary.messages[0]

    later = retry_pending(state_dir=state_dir, env={})
    assert (later.sent, later.pending) == (500, 0)
    assert sorted(t for b in sent_credentials(receiver) for t in b) == sorted(leaked)


@pytest.mark.parametrize(
    "refusal",
    [
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1900000000"}),
        (429, {}),
        (422, {"Retry-After": "3600"}),
    ],
)
def test_a_rate_limit_refusal_stops_without_retrying(
    receiver: Receiver, state_dir: Path, refusal: tuple[int, dict[str, str]]
) -> None:
    receiver.respond(refusal)
    sleeps: list[float] = []
    summary = deliver(
        [make_finding(t) for t in tokens(1500, "refused")],
        [github_target(receiver)],
        state_dir=state_dir,
        repository="repo",
        env={},
        sleep=sleeps.append,
    )
    assert (summary.sent, summary.failed, summary.pending) == (0, 1500, 1500)
    assert len(receiver.received) == 1 and sleeps == []
    assert "rate limit" in summary.messages[0]


def test_server_errors_are_retried_with_the_same_batch(receiver: Receiver, state_dir: Path) -> None:
    receiver.respond(502)
    sleeps: list[float] = []
    leaked = tokens(3, "502")
    summary = deliver(
        [make_finding(t) for t in leaked],
        [github_target(receiver)],
        state_dir=state_dir,
        repository="repo",
        env={},
        sleep=sleeps.append,
    )
    assert summary.sent == 3 and len(sleeps) == 1
    first, second = sent_credentials(receiver)
    assert first == second and sorted(first) == sorted(leaked)


def test_only_github_tokens_matching_the_rules_globs_are_sent(receiver: Receiver, state_dir: Path) -> None:
    classic = make_finding(github_token("glob-a", "ghp"), "github.classic-pat")
    oauth = make_finding(github_token("glob-b", "gho"), "github.oauth-token")
    stray = make_finding("ghp_" + "not-a-github-rule", "generic.api-key")
    other = make_finding(stripe_key("glob"), "stripe.secret-key")
    target = github_target(receiver, rules=["github.classic-*"])
    summary = deliver([classic, oauth, stray, other], [target], state_dir=state_dir, repository="repo", env={})
    assert summary.sent == 1
    assert sent_credentials(receiver) == [[classic.secret]]


def test_a_refused_batch_stays_pending_and_the_next_batch_is_sent(receiver: Receiver, state_dir: Path) -> None:
    receiver.respond(422)
    leaked = tokens(1200, "422")
    summary = deliver(
        [make_finding(t) for t in leaked], [github_target(receiver)], state_dir=state_dir, repository="repo", env={}
    )
    assert (summary.sent, summary.failed, summary.pending) == (200, 1000, 1000)
    assert "HTTP 422" in summary.messages[0]
    assert [len(b) for b in sent_credentials(receiver)] == [1000, 200]
