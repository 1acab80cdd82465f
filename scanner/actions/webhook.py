"""Revocation webhooks: targets, payload, signing, and journalled at-least-once delivery.

The contract is SPEC.md, "Revocation webhook". Each (webhook, secret) is journalled
before its first request and sent once across runs; what cannot be sent now stays
pending for `keysweep webhook retry`. The raw secret appears only in bodies of
`include_secret` and GitHub targets, never in a message, exception or log line.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
from scanner.actions.transport import USER_AGENT, RetryPolicy, post_with_retries, safe_url
from scanner.errors import WebhookError
from scanner.findings import finding_record
from scanner.model import Finding

__all__ = [
    "EVENT",
    "SIGNATURE_HEADER",
    "DeliverySummary",
    "WebhookTarget",
    "check_signing",
    "check_url",
    "default_state_dir",
    "deliver",
    "parse_targets",
    "list_deliveries",
    "retry_pending",
    "sign",
    "target_from_url",
]

log = logging.getLogger(__name__)

EVENT = "secret.leaked"
SIGNATURE_HEADER = "X-Keysweep-Signature-256"
TYPES = ("generic", "github")

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FIELDS = frozenset(
    {"type", "url", "api_url", "secret_env", "include_secret", "rules", "timeout", "max_attempts", "backoff"}
)


@dataclass(frozen=True)
class WebhookTarget:
    """One place findings are sent; for `type = "github"`, `url` is the revocation endpoint."""

    url: str
    type: str = "generic"
    secret_env: str | None = None
    include_secret: bool = False
    rules: tuple[str, ...] = ()
    api_url: str | None = None
    timeout: float = 10.0
    max_attempts: int = 5
    backoff: float = 1.0
    source: str = ""

    @property
    def key(self) -> str:
        """Journal identity: a secret is sent once per key."""
        return f"{self.type} {self.url}"

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(timeout=self.timeout, max_attempts=self.max_attempts, backoff=self.backoff)

    def accepts(self, finding: Finding) -> bool:
        if self.rules and not any(fnmatch.fnmatchcase(finding.rule_id, g) for g in self.rules):
            return False
        return self.type != "github" or github.is_github_token(finding.secret)


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


# -- configuration -----------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_url(url: str, *, where: str) -> str:
    """https://, or http:// to a loopback address only: leak reports must not travel in clear."""
    if not isinstance(url, str) or not url.strip():
        raise WebhookError(f"{where}: the URL is empty")
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        # urlsplit rejects e.g. an unclosed IPv6 bracket; its message holds no part of the URL.
        raise WebhookError(f"{where}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    shown = safe_url(url) if parts.hostname else repr(scheme + "://…" if scheme else "…")
    if scheme not in ("https", "http"):
        raise WebhookError(f"{where}: {shown} is not an https:// URL")
    host = parts.hostname
    if not host:
        raise WebhookError(f"{where}: {shown} has no host")
    try:
        _ = parts.port
    except ValueError:
        raise WebhookError(f"{where}: {shown} has an invalid port") from None
    if scheme == "http" and not _is_loopback(host):
        raise WebhookError(
            f"{where}: refusing plain http:// URL {shown}: findings must travel over https://"
            " (http:// is allowed only to loopback: 127.0.0.0/8, ::1, localhost)"
        )
    return url


def target_from_url(url: str, *, secret_env: str | None = None, include_secret: bool = False) -> WebhookTarget:
    """The target of `--webhook URL` (a generic webhook; signed when `secret_env` is given)."""
    checked = check_url(url, where="--webhook")
    if secret_env is not None and not _ENV_NAME.match(secret_env):
        raise WebhookError(f"--webhook: {secret_env!r} is not an environment variable name")
    return WebhookTarget(url=checked, secret_env=secret_env, include_secret=include_secret, source="--webhook")


def _number(
    table: Mapping[str, Any], name: str, default: float, where: str, *, minimum: float, integer: bool = False
) -> Any:
    value: Any = table.get(name, default)
    wrong_kind = isinstance(value, bool) or not isinstance(value, (int, float))
    if wrong_kind or (integer and not isinstance(value, int)) or value < minimum:
        kind = "an integer" if integer else "a number"
        raise WebhookError(f"{where}: field {name!r}: must be {kind} >= {minimum:g}")
    return value


def parse_targets(raw: Sequence[Mapping[str, Any]], *, source: str) -> tuple[WebhookTarget, ...]:
    """Validate `[[webhooks]]` tables of a config file into targets; errors name file and field."""
    if not isinstance(raw, (list, tuple)):
        raise WebhookError(f"{source}: 'webhooks' must be an array of tables ([[webhooks]])")
    targets = []
    for index, table in enumerate(raw, start=1):
        where = f"{source}: [[webhooks]] #{index}"
        if not isinstance(table, Mapping):
            raise WebhookError(f"{where}: must be a table")
        unknown = sorted(set(table) - _FIELDS)
        if unknown:
            raise WebhookError(f"{where}: field {unknown[0]!r}: unknown field (expected: {', '.join(sorted(_FIELDS))})")
        kind = table.get("type", "generic")
        if kind not in TYPES:
            raise WebhookError(f"{where}: field 'type': must be one of {', '.join(TYPES)}")
        rules = table.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(g, str) and g for g in rules):
            raise WebhookError(f"{where}: field 'rules': must be a list of rule id globs")
        include_secret = table.get("include_secret", False)
        if not isinstance(include_secret, bool):
            raise WebhookError(f"{where}: field 'include_secret': must be true or false")
        secret_env = table.get("secret_env")
        if secret_env is not None and (not isinstance(secret_env, str) or not _ENV_NAME.match(secret_env)):
            raise WebhookError(
                f"{where}: field 'secret_env': must name an environment variable (e.g. KEYSWEEP_WEBHOOK_SECRET)"
            )
        timeout = _number(table, "timeout", 10.0, where, minimum=0.001)
        max_attempts = _number(table, "max_attempts", 5, where, minimum=1, integer=True)
        backoff = _number(table, "backoff", 1.0, where, minimum=0)
        if kind == "github":
            for field_name in ("url", "secret_env", "include_secret"):
                if field_name in table:
                    raise WebhookError(
                        f'{where}: field {field_name!r}: not used by type = "github"'
                        " (it posts raw tokens to {api_url}/credentials/revoke)"
                    )
            api_url = table.get("api_url", github.DEFAULT_API_URL)
            if not isinstance(api_url, str):
                raise WebhookError(f"{where}: field 'api_url': must be a URL string")
            api_url = check_url(api_url, where=f"{where}: field 'api_url'").rstrip("/")
            url = github.revoke_url(api_url)
        else:
            if "api_url" in table:
                raise WebhookError(f"{where}: field 'api_url': only for type = \"github\"")
            if "url" not in table:
                raise WebhookError(f"{where}: field 'url': missing")
            url = check_url(table["url"], where=f"{where}: field 'url'")
            api_url = None
        targets.append(
            WebhookTarget(
                url=url,
                type=kind,
                secret_env=secret_env,
                include_secret=include_secret,
                rules=tuple(rules),
                api_url=api_url,
                timeout=float(timeout),
                max_attempts=int(max_attempts),
                backoff=float(backoff),
                source=where,
            )
        )
    return tuple(targets)


def check_signing(targets: Sequence[WebhookTarget], env: Mapping[str, str]) -> None:
    """Fail before scanning when a signing key is configured but absent."""
    for target in targets:
        if target.secret_env and not env.get(target.secret_env):
            where = target.source or f"webhook {safe_url(target.url)}"
            raise WebhookError(
                f"{where}: secret_env {target.secret_env!r} is not set"
                " (the environment variable holding the signing key)"
            )


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


# -- payload ---------------------------------------------------------------------


def sign(body: bytes, key: str) -> str:
    """The X-Keysweep-Signature-256 value: HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _clean_repository(repository: str) -> str:
    """A remote URL without user info: `https://user:TOKEN@host/...` must not leak the token."""
    parts = urlsplit(repository)
    if parts.scheme and parts.netloc and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return repository


def _finding_payload(finding: Finding, target: WebhookTarget, repository: str) -> bytes:
    record = finding_record(finding, redact_secret=True)
    if target.include_secret:
        record["secret"] = finding.secret
    record["secret_sha256"] = finding.secret_sha256
    record["repository"] = repository
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _body(delivery_id: str, finding_json: bytes) -> bytes:
    """The envelope, with `sent_at` of this attempt; `finding` is the journalled JSON, as is."""
    head = json.dumps(
        {"event": EVENT, "delivery_id": delivery_id, "sent_at": _now_rfc3339()},
        separators=(",", ":"),
    )
    return head[:-1].encode() + b',"finding":' + finding_json + b"}"


def _headers(delivery_id: str, body: bytes, key: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Keysweep-Event": EVENT,
        "X-Keysweep-Delivery": delivery_id,
    }
    if key is not None:
        headers[SIGNATURE_HEADER] = sign(body, key)
    return headers


def _options(target: WebhookTarget) -> str:
    return json.dumps({"timeout": target.timeout, "max_attempts": target.max_attempts, "backoff": target.backoff})


def _new_delivery(target: WebhookTarget, finding: Finding, repository: str) -> NewDelivery:
    if target.type == "github":
        payload, has_secret = finding.secret.encode("utf-8", "surrogateescape"), True
    else:
        payload, has_secret = _finding_payload(finding, target, repository), target.include_secret
    return NewDelivery(
        delivery_id=str(uuid.uuid4()),
        target_key=target.key,
        kind=target.type,
        url=target.url,
        secret_env=target.secret_env if target.type == "generic" else None,
        options=_options(target),
        secret_sha256=finding.secret_sha256,
        payload=payload,
        has_secret=has_secret,
    )


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
            body = _body(row.delivery_id, row.payload)
            return body, _headers(row.delivery_id, body, key)

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
    repository = _clean_repository(repository)
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
            items.append(_new_delivery(target, finding, repository))
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
