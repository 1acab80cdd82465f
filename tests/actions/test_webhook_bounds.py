"""Webhook delivery bounded in time, counted per HTTP attempt, droppable, and a summary
that counts only its own deliveries."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from scanner.actions import WebhookTarget, deliver, drop_pending, list_deliveries, parse_targets, retry_pending
from scanner.actions.journal import Journal, Owner
from tests.actions.conftest import Receiver, free_port, make_finding
from tests.helpers import github_token

REPO = "https://git.example.invalid/team/app.git"


def test_a_silent_receiver_costs_the_budget_not_every_attempt(receiver: Receiver, state_dir: Path) -> None:
    receiver.hold.clear()  # the receiver reads each request and never answers
    target = WebhookTarget(url=receiver.url, timeout=0.3, max_attempts=10, backoff=0.05)
    findings = [make_finding(github_token(f"silent-{n}")) for n in range(3)]
    summary = deliver(findings, [target], state_dir=state_dir, repository=REPO, env={}, budget=1.0)
    assert (summary.sent, summary.failed, summary.pending) == (0, 3, 3)
    assert "webhook budget used up" in summary.messages[0]
    assert 1 <= len(receiver.received) < 10, "the budget stopped the attempts, not max_attempts"
    assert {e.status for e in list_deliveries(state_dir=state_dir)} == {"pending"}


def test_connect_timeout_is_a_target_field_and_journalled(receiver: Receiver, state_dir: Path) -> None:
    (target,) = parse_targets([{"url": receiver.url, "connect_timeout": 0.5, "timeout": 4}], source="cfg")
    assert (target.policy.connect_timeout, target.policy.timeout) == (0.5, 4.0)
    with pytest.raises(Exception, match="connect_timeout"):
        parse_targets([{"url": receiver.url, "connect_timeout": 0}], source="cfg")
    receiver.respond(503)
    deliver(
        [make_finding(github_token("ct"))], [target], state_dir=state_dir, repository=REPO, env={}, sleep=lambda s: None
    )
    with Journal.open(state_dir) as journal:
        (options,) = journal._db.execute("SELECT options FROM deliveries").fetchone()
    assert json.loads(options)["connect_timeout"] == 0.5


def test_attempts_count_http_requests_not_runs(receiver: Receiver, state_dir: Path) -> None:
    receiver.respond(503, 503, 503)
    target = WebhookTarget(url=receiver.url, max_attempts=3, backoff=0)
    deliver([make_finding(github_token("count"))], [target], state_dir=state_dir, repository=REPO, env={})
    (entry,) = list_deliveries(state_dir=state_dir)
    assert (entry.status, entry.attempts) == ("pending", 3)
    retried = retry_pending(state_dir=state_dir, env={})
    assert retried.sent == 1
    (entry,) = list_deliveries(state_dir=state_dir)
    assert (entry.status, entry.attempts) == ("sent", 4)
    assert len(receiver.received) == 4


def _down_target() -> WebhookTarget:
    return WebhookTarget(url=f"http://127.0.0.1:{free_port()}/gone", max_attempts=1)


def test_dropped_deliveries_are_never_sent(receiver: Receiver, state_dir: Path) -> None:
    gone = _down_target()
    findings = [make_finding(github_token(f"drop-{n}")) for n in range(3)]
    deliver(findings, [gone], state_dir=state_dir, repository=REPO, env={})
    first, *rest = list_deliveries(state_dir=state_dir, pending_only=True)
    assert drop_pending(state_dir=state_dir, delivery_ids=[first.delivery_id]) == 1
    assert drop_pending(state_dir=state_dir, delivery_ids=[first.delivery_id]) == 0, "only pending ones drop"
    assert drop_pending(state_dir=state_dir, url=gone.url + "?token=abc") == 2, "compared as list shows URLs"
    assert {e.status for e in list_deliveries(state_dir=state_dir)} == {"dropped"}
    assert retry_pending(state_dir=state_dir, env={}).sent == 0
    with Journal.open(state_dir) as journal:
        payloads = journal._db.execute("SELECT payload FROM deliveries").fetchall()
    assert payloads == [(None,)] * 3


def test_webhook_drop_command(cli, state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYSWEEP_STATE_DIR", str(state_dir))
    gone = _down_target()
    deliver([make_finding(github_token("cmd"))], [gone], state_dir=state_dir, repository=REPO, env={})
    (entry,) = list_deliveries(state_dir=state_dir)
    assert entry.delivery_id[:8] in cli(["webhook", "list"]).out
    assert cli(["webhook", "drop"]).code == 2
    assert cli(["webhook", "drop", "zzzz"]).code == 2
    dropped = cli(["webhook", "drop", entry.delivery_id[:8]])
    assert dropped.code == 0 and "1 pending delivery dropped" in dropped.err
    assert list_deliveries(state_dir=state_dir, pending_only=True) == []


def test_the_summary_counts_its_own_deliveries(receiver: Receiver, state_dir: Path) -> None:
    deliver(
        [make_finding(github_token(f"old-{n}")) for n in range(2)],
        [_down_target()],
        state_dir=state_dir,
        repository=REPO,
        env={},
    )
    # A concurrent scan is sending a third one right now: it holds a live lease.
    deliver([make_finding(github_token("busy"))], [_down_target()], state_dir=state_dir, repository=REPO, env={})
    with Journal.open(state_dir) as journal:
        busy = journal.take_pending(Owner("other-scan", os.getpid(), socket.gethostname()))
        for row in busy[:2]:
            journal.mark_unsent(
                [row.id], Owner("other-scan", os.getpid(), socket.gethostname()), status=None, error="x", attempts=0
            )
    summary = deliver(
        [make_finding(github_token("new"))],
        [WebhookTarget(url=receiver.url)],
        state_dir=state_dir,
        repository=REPO,
        env={},
    )
    assert (summary.sent, summary.failed, summary.pending, summary.earlier) == (1, 0, 0, 2)
    assert "1 sent, 0 failed, 0 pending, 0 already sent, 2 pending from earlier runs" in summary.describe()


def test_the_cli_budgets_are_the_librarys_defaults() -> None:
    """cli.py writes the defaults out (importing actions would load requests at start-up)."""
    from scanner.actions.webhook import RETRY_BUDGET, SCAN_BUDGET
    from scanner.cli import cli

    scan = {p.name: p.default for p in cli.commands["git"].params}
    retry = {p.name: p.default for p in cli.commands["webhook"].commands["retry"].params}
    assert (scan["webhook_budget"], retry["budget"]) == (SCAN_BUDGET, RETRY_BUDGET)
