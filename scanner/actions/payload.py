"""Webhook payloads: the journalled finding JSON, the envelope of each attempt, its signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from scanner.actions.journal import NewDelivery
from scanner.actions.targets import WebhookTarget
from scanner.actions.transport import USER_AGENT
from scanner.findings import finding_record
from scanner.model import Finding

EVENT = "secret.leaked"
SIGNATURE_HEADER = "X-Keysweep-Signature-256"


def sign(body: bytes, key: str) -> str:
    """The X-Keysweep-Signature-256 value: HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def clean_repository(repository: str) -> str:
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


def envelope(delivery_id: str, finding_json: bytes) -> bytes:
    """The envelope, with `sent_at` of this attempt; `finding` is the journalled JSON, as is."""
    head = json.dumps(
        {"event": EVENT, "delivery_id": delivery_id, "sent_at": _now_rfc3339()},
        separators=(",", ":"),
    )
    return head[:-1].encode() + b',"finding":' + finding_json + b"}"


def headers(delivery_id: str, body: bytes, key: str | None) -> dict[str, str]:
    result = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Keysweep-Event": EVENT,
        "X-Keysweep-Delivery": delivery_id,
    }
    if key is not None:
        result[SIGNATURE_HEADER] = sign(body, key)
    return result


def _retry_options(target: WebhookTarget) -> str:
    return json.dumps(
        {
            "timeout": target.timeout,
            "connect_timeout": target.connect_timeout,
            "max_attempts": target.max_attempts,
            "backoff": target.backoff,
        }
    )


def new_delivery(target: WebhookTarget, finding: Finding, repository: str) -> NewDelivery:
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
        options=_retry_options(target),
        secret_sha256=finding.secret_sha256,
        payload=payload,
        has_secret=has_secret,
    )
