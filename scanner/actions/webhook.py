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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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
from scanner.actions.transport import Outcome, RetryPolicy, post_with_retries, safe_url
from scanner.model import Finding

__all__ = [
    "DeliverySummary",
    "default_state_dir",
    "deliver",
    "drop_pending",
    "list_deliveries",
    "retry_pending",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliverySummary:
    """Counts for the end-of-run summary, of this call's deliveries only.

    `failed`: deliveries of this call not delivered, each left pending for `keysweep
    webhook retry`; `earlier`: other runs' deliveries waiting for a retry (not counting
    those a concurrent run is sending right now).
    """

    sent: int = 0
    failed: int = 0
    skipped_duplicates: int = 0
    messages: tuple[str, ...] = ()
    earlier: int = 0

    @property
    def pending(self) -> int:
        """This call's deliveries left for `keysweep webhook retry`: every failed one."""
        return self.failed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def describe(self) -> str:
        text = (
            f"webhook: {self.sent} sent, {self.failed} failed, {self.pending} pending,"
            f" {self.skipped_duplicates} already sent"
        )
        if self.earlier:
            text += f", {self.earlier} pending from earlier runs"
        if self.pending or self.earlier:
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

# How long the webhooks may hold up a scan's end, and a `webhook retry`, by default.
SCAN_BUDGET = 20.0
RETRY_BUDGET = 120.0


@dataclass(frozen=True)
class _Tally:
    sent: int = 0
    failed: int = 0
    message: str | None = None


@dataclass(frozen=True)
class _Run:
    """What every send of one call shares: the journal, who holds the leases, the budget."""

    journal: Journal
    owner: Owner
    env: Mapping[str, str]
    session: requests.Session
    sleep: Callable[[float], None]
    deadline: float

    def post(
        self, url: str, build: Callable[[int], tuple[bytes, Mapping[str, str]]], policy: RetryPolicy, **kwargs: Any
    ) -> Outcome:
        return post_with_retries(self.session, url, build, policy, sleep=self.sleep, deadline=self.deadline, **kwargs)

    def give_up(self, ids: Sequence[int], error: str) -> None:
        self.journal.mark_unsent(ids, self.owner, status=None, error=error, attempts=0)


def _policy(options: str) -> RetryPolicy:
    data = json.loads(options)
    return RetryPolicy(
        timeout=float(data.get("timeout", 10.0)),
        connect_timeout=float(data.get("connect_timeout", 3.0)),
        max_attempts=int(data.get("max_attempts", 5)),
        backoff=float(data.get("backoff", 1.0)),
    )


def _lease(policy: RetryPolicy) -> float:
    return max(DEFAULT_LEASE, policy.worst_case())


def _left(count: int) -> str:
    return f"{count} deliver{'y' if count == 1 else 'ies'} left pending"


def _send_generic(run: _Run, rows: Sequence[JournalRow]) -> _Tally:
    first = rows[0]
    shown = safe_url(first.url)
    key: str | None = None
    if first.secret_env:
        key = run.env.get(first.secret_env) or None
        if key is None:
            error = f"signing key ${first.secret_env} is not set"
            run.give_up([r.id for r in rows], error)
            return _Tally(failed=len(rows), message=f"webhook {shown}: {error}; {_left(len(rows))}")
    sent = failed = 0
    problem: str | None = None
    last_error = ""
    for row in rows:
        if problem is not None:
            run.give_up([row.id], problem)
            failed += 1
            continue
        policy = _policy(row.options)
        if not run.journal.renew([row.id], run.owner, lease=_lease(policy)):
            continue  # taken over by another process after our lease ran out

        def build(_attempt: int, row: JournalRow = row) -> tuple[bytes, dict[str, str]]:
            body = envelope(row.delivery_id, row.payload)
            return body, headers(row.delivery_id, body, key)

        outcome = run.post(row.url, build, policy)
        if outcome.ok:
            run.journal.mark_sent([row.id], outcome.status, attempts=outcome.attempts)
            sent += 1
            continue
        run.journal.mark_unsent(
            [row.id], run.owner, status=outcome.status, error=outcome.message, attempts=outcome.attempts
        )
        failed += 1
        last_error = outcome.message
        log.info("webhook %s: delivery %s failed: %s", shown, row.delivery_id, outcome.message)
        if outcome.transient:
            # The receiver is down or overloaded, or the budget is spent: the rest waits.
            problem = f"not attempted: {outcome.message}"
    if not failed:
        return _Tally(sent=sent)
    return _Tally(sent, failed, f"webhook {shown}: {last_error}; {_left(failed)}")


def _send_github(run: _Run, rows: Sequence[JournalRow]) -> _Tally:
    first = rows[0]
    shown = safe_url(first.url)
    policy = _policy(first.options)
    sent = failed = 0
    problem: str | None = None
    last_error = ""
    for batch in github.batches(rows):
        ids = [r.id for r in batch]
        if problem is not None:
            run.give_up(ids, problem)
            failed += len(batch)
            continue
        held = run.journal.renew(ids, run.owner, lease=_lease(policy))
        batch = [r for r in batch if r.id in held]
        if not batch:
            continue
        ids = [r.id for r in batch]
        request = github.revoke_request([r.payload.decode("utf-8", "surrogateescape") for r in batch])

        def build(_attempt: int, request: tuple[bytes, dict[str, str]] = request) -> tuple[bytes, dict[str, str]]:
            return request

        outcome = run.post(first.url, build, policy, stop=github.rate_limit_reason)
        if outcome.ok:
            run.journal.mark_sent(ids, outcome.status, attempts=outcome.attempts)
            sent += len(batch)
            problem = github.rate_limit_exhausted(outcome.headers)
            continue
        run.journal.mark_unsent(ids, run.owner, status=outcome.status, error=outcome.message, attempts=outcome.attempts)
        failed += len(batch)
        last_error = outcome.message
        if outcome.transient:
            problem = outcome.message
    if not failed:
        return _Tally(sent=sent)
    return _Tally(sent, failed, f"GitHub revocation {shown}: {problem or last_error}; {_left(failed)}")


def _send(run: _Run, rows: Sequence[JournalRow]) -> tuple[int, int, tuple[str, ...]]:
    groups: dict[tuple[str, str | None], list[JournalRow]] = {}
    for row in rows:
        # The signing variable may differ between runs for one URL: one key per group.
        groups.setdefault((row.target_key, row.secret_env), []).append(row)
    sent = failed = 0
    messages: list[str] = []
    for group in groups.values():
        tally = _send_github(run, group) if group[0].kind == "github" else _send_generic(run, group)
        sent += tally.sent
        failed += tally.failed
        if tally.message:
            messages.append(tally.message)
    return sent, failed, tuple(messages)


@contextmanager
def _running(
    state_dir: Path,
    env: Mapping[str, str],
    session: requests.Session | None,
    sleep: Callable[[float], None],
    budget: float,
) -> Iterator[_Run]:
    http = session or requests.Session()
    try:
        with Journal.open(state_dir) as journal:
            yield _Run(journal, Owner.current(), env, http, sleep, time.monotonic() + budget)
    finally:
        if session is None:
            http.close()


def deliver(
    findings: Sequence[Finding],
    targets: Sequence[WebhookTarget],
    *,
    state_dir: Path,
    repository: str,
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
    budget: float = SCAN_BUDGET,
) -> DeliverySummary:
    """Journal one delivery per new (target, secret), then send them within `budget` seconds.

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
    with _running(state_dir, env, session, sleep, budget) as run:
        rows, known = run.journal.enqueue(items, run.owner)
        sent, failed, messages = _send(run, rows)
        earlier = run.journal.pending_count(unleased_only=True) - failed
    return DeliverySummary(sent, failed, known + repeats, messages, max(0, earlier))


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
    budget: float = RETRY_BUDGET,
) -> DeliverySummary:
    """Send every pending delivery no live process is sending, within `budget` seconds;
    needs no config (all is journalled)."""
    if not (Path(state_dir) / JOURNAL_NAME).exists():
        return DeliverySummary()
    with _running(state_dir, env, session, sleep, budget) as run:
        rows = run.journal.take_pending(run.owner)
        sent, failed, messages = _send(run, rows)
        earlier = run.journal.pending_count(unleased_only=True) - failed
    return DeliverySummary(sent, failed, 0, messages, max(0, earlier))


def drop_pending(*, state_dir: Path, delivery_ids: Sequence[str] = (), url: str | None = None) -> int:
    """Give up pending deliveries, by id or all those to `url` (compared as `webhook list`
    shows URLs); returns how many were dropped."""
    if not (Path(state_dir) / JOURNAL_NAME).exists():
        return 0
    with Journal.open(state_dir) as journal:
        chosen = list(delivery_ids)
        if url is not None:
            wanted = safe_url(url)
            chosen += [e.delivery_id for e in journal.entries(pending_only=True) if safe_url(e.url) == wanted]
        return journal.drop(chosen)
