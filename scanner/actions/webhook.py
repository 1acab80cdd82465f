"""Revocation webhooks: journalled at-least-once delivery (targets.py validates where to,
payload.py builds what is sent).

The contract is SPEC.md, "Revocation webhook". Each (webhook, secret) is journalled
before its first request and sent once across runs; what cannot be sent now stays
pending for `keysweep webhook retry`. The raw secret appears only in bodies of
`include_secret` and GitHub targets, never in a message, exception or log line.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import requests

from scanner.actions import github
from scanner.actions.journal import (
    DEFAULT_LEASE,
    JOURNAL_NAME,
    Journal,
    JournalEntry,
    JournalRow,
    NewDelivery,
    Owner,
)
from scanner.actions.payload import clean_repository, envelope, headers, new_delivery
from scanner.actions.targets import WebhookTarget, check_signing, check_url
from scanner.actions.transport import RetryPolicy, post_with_retries, safe_url
from scanner.model import Finding

__all__ = [
    "DeliverySummary",
    "default_state_dir",
    "deliver",
    "list_deliveries",
    "retry_pending",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliverySummary:
    """Counts for the end-of-run summary.

    `failed`: deliveries of this call not delivered (they stay pending); `pending`: all
    deliveries the journal holds for `keysweep webhook retry` afterwards.
    """

    sent: int = 0
    failed: int = 0
    pending: int = 0
    skipped_duplicates: int = 0
    messages: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def describe(self) -> str:
        text = (
            f"webhook: {self.sent} sent, {self.failed} failed, {self.pending} pending,"
            f" {self.skipped_duplicates} already sent"
        )
        if self.pending:
            text += " (run `keysweep webhook retry` to send what is pending)"
        return text


def default_state_dir(env: Mapping[str, str]) -> Path:
    """$KEYSWEEP_STATE_DIR, else $XDG_STATE_HOME/keysweep, else ~/.local/state/keysweep."""
    explicit = env.get("KEYSWEEP_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_STATE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "keysweep"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "state" / "keysweep"


# -- sending ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Tally:
    sent: int = 0
    failed: int = 0
    message: str | None = None


def _policy(options: str) -> RetryPolicy:
    data = json.loads(options)
    return RetryPolicy(
        timeout=float(data.get("timeout", 10.0)),
        max_attempts=int(data.get("max_attempts", 5)),
        backoff=float(data.get("backoff", 1.0)),
    )


def _lease(policy: RetryPolicy) -> float:
    return max(DEFAULT_LEASE, policy.worst_case())


def _left(count: int) -> str:
    return f"{count} deliver{'y' if count == 1 else 'ies'} left pending"


def _send_generic(
    journal: Journal,
    rows: Sequence[JournalRow],
    owner: Owner,
    env: Mapping[str, str],
    session: requests.Session,
    sleep: Callable[[float], None],
) -> _Tally:
    first = rows[0]
    shown = safe_url(first.url)
    key: str | None = None
    if first.secret_env:
        key = env.get(first.secret_env) or None
        if key is None:
            error = f"signing key ${first.secret_env} is not set"
            journal.mark_unsent([r.id for r in rows], owner, status=None, error=error, tried=False)
            return _Tally(failed=len(rows), message=f"webhook {shown}: {error}; {_left(len(rows))}")
    sent = failed = 0
    problem: str | None = None
    last_error = ""
    for row in rows:
        if problem is not None:
            journal.mark_unsent([row.id], owner, status=None, error=problem, tried=False)
            failed += 1
            continue
        policy = _policy(row.options)
        if not journal.renew([row.id], owner, lease=_lease(policy)):
            continue  # taken over by another process after our lease ran out

        def build(_attempt: int, row: JournalRow = row) -> tuple[bytes, dict[str, str]]:
            body = envelope(row.delivery_id, row.payload)
            return body, headers(row.delivery_id, body, key)

        outcome = post_with_retries(session, row.url, build, policy, sleep=sleep)
        if outcome.ok:
            journal.mark_sent([row.id], outcome.status)
            sent += 1
            continue
        journal.mark_unsent([row.id], owner, status=outcome.status, error=outcome.message, tried=True)
        failed += 1
        last_error = outcome.message
        log.info("webhook %s: delivery %s failed: %s", shown, row.delivery_id, outcome.message)
        if outcome.transient:
            # The receiver is down or overloaded: the rest waits for `webhook retry`.
            problem = f"not attempted: {outcome.message}"
    if not failed:
        return _Tally(sent=sent)
    return _Tally(sent, failed, f"webhook {shown}: {last_error}; {_left(failed)}")


def _send_github(
    journal: Journal,
    rows: Sequence[JournalRow],
    owner: Owner,
    session: requests.Session,
    sleep: Callable[[float], None],
) -> _Tally:
    first = rows[0]
    shown = safe_url(first.url)
    policy = _policy(first.options)
    sent = failed = 0
    problem: str | None = None
    last_error = ""
    for batch in github.batches(rows):
        ids = [r.id for r in batch]
        if problem is not None:
            journal.mark_unsent(ids, owner, status=None, error=problem, tried=False)
            failed += len(batch)
            continue
        held = journal.renew(ids, owner, lease=_lease(policy))
        batch = [r for r in batch if r.id in held]
        if not batch:
            continue
        ids = [r.id for r in batch]
        request = github.revoke_request([r.payload.decode("utf-8", "surrogateescape") for r in batch])

        def build(_attempt: int, request: tuple[bytes, dict[str, str]] = request) -> tuple[bytes, dict[str, str]]:
            return request

        outcome = post_with_retries(
            session,
            first.url,
            build,
            policy,
            sleep=sleep,
            stop=github.rate_limit_reason,
        )
        if outcome.ok:
            journal.mark_sent(ids, outcome.status)
            sent += len(batch)
            problem = github.rate_limit_exhausted(outcome.headers)
            continue
        journal.mark_unsent(ids, owner, status=outcome.status, error=outcome.message, tried=True)
        failed += len(batch)
        last_error = outcome.message
        if outcome.transient:
            problem = outcome.message
    if not failed:
        return _Tally(sent=sent)
    return _Tally(sent, failed, f"GitHub revocation {shown}: {problem or last_error}; {_left(failed)}")


def _send(
    journal: Journal,
    rows: Sequence[JournalRow],
    owner: Owner,
    env: Mapping[str, str],
    session: requests.Session | None,
    sleep: Callable[[float], None],
) -> tuple[int, int, tuple[str, ...]]:
    groups: dict[tuple[str, str | None], list[JournalRow]] = {}
    for row in rows:
        # The signing variable may differ between runs for one URL: one key per group.
        groups.setdefault((row.target_key, row.secret_env), []).append(row)
    own_session = session is None
    http = session or requests.Session()
    sent = failed = 0
    messages: list[str] = []
    try:
        for group in groups.values():
            if group[0].kind == "github":
                tally = _send_github(journal, group, owner, http, sleep)
            else:
                tally = _send_generic(journal, group, owner, env, http, sleep)
            sent += tally.sent
            failed += tally.failed
            if tally.message:
                messages.append(tally.message)
    finally:
        if own_session:
            http.close()
    return sent, failed, tuple(messages)


def deliver(
    findings: Sequence[Finding],
    targets: Sequence[WebhookTarget],
    *,
    state_dir: Path,
    repository: str,
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
) -> DeliverySummary:
    """Journal one delivery per new (target, secret), then send them.

    A secret already journalled for a target (this run or an earlier one) is not sent
    again. Delivery failures do not raise: they stay pending and are counted; only a
    misconfiguration (missing signing key, unusable journal) raises WebhookError.
    """
    if not targets or not findings:
        return DeliverySummary()
    for target in targets:  # targets built by hand skip parse_targets: same rule for them
        check_url(target.url, where=target.source or "webhook")
    check_signing(targets, env)
    repository = clean_repository(repository)
    items: list[NewDelivery] = []
    seen: set[tuple[str, str]] = set()
    repeats = 0
    for target in targets:
        for finding in findings:
            if not target.accepts(finding):
                continue
            identity = (target.key, finding.secret_sha256)
            if identity in seen:
                repeats += 1
                continue
            seen.add(identity)
            items.append(new_delivery(target, finding, repository))
    if not items:
        return DeliverySummary()
    owner = Owner.current()
    with Journal.open(state_dir) as journal:
        rows, known = journal.enqueue(items, owner)
        sent, failed, messages = _send(journal, rows, owner, env, session, sleep)
        pending = journal.pending_count()
    return DeliverySummary(sent, failed, pending, known + repeats, messages)


def list_deliveries(*, state_dir: Path, pending_only: bool = False) -> list[JournalEntry]:
    """What the journal holds (for `keysweep webhook list`); URLs without user info or query."""
    if not (Path(state_dir) / JOURNAL_NAME).exists():
        return []
    with Journal.open(state_dir) as journal:
        entries = journal.entries(pending_only=pending_only)
    return [replace(entry, url=safe_url(entry.url)) for entry in entries]


def retry_pending(
    *,
    state_dir: Path,
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
) -> DeliverySummary:
    """Send every pending delivery no live process is sending; needs no config (all is journalled)."""
    if not (Path(state_dir) / JOURNAL_NAME).exists():
        return DeliverySummary()
    owner = Owner.current()
    with Journal.open(state_dir) as journal:
        rows = journal.take_pending(owner)
        sent, failed, messages = _send(journal, rows, owner, env, session, sleep)
        pending = journal.pending_count()
    return DeliverySummary(sent, failed, pending, 0, messages)
